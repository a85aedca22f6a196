// ns per uncontended lock/unlock pair, single thread, for:
//   std::mutex                       the floor
//   InstrumentedLock, all off        the hooks' relaxed loads (plus InstrumentedLock's own work)
//   ... + statistics / lockdep / both / trace
//   ... nested under one held lock   lockdep's edge check against a held class
// and the hooks alone (no lock), to separate the instrumentation from the lock.
#include <benchmark/benchmark.h>

#include <mutex>

#include "locking/instrumented_lock.h"
#include "locking/lock_stats.h"
#include "locking/lockdep.h"
#include "locking/trace.h"

namespace locklab {
namespace {

enum Features : int64_t { kOff = 0, kStats = 1, kLockdep = 2, kTrace = 4 };
// Traced runs have a fixed length, so every event fits in the trace's budget (~26 MB).
constexpr int64_t kTraceIterations = 400'000;

// Switches on the features named by the benchmark's argument for one run.
class FeaturesOn {
public:
    explicit FeaturesOn(int64_t f) : f_(f)
    {
        lockstats_reset();
        lockstats_enable(f & kStats);
        lockdep_enable(f & kLockdep ? LockdepMode::Warn : LockdepMode::Off);
        if (f & kTrace) trace_enable(true, kTraceIterations);
    }
    ~FeaturesOn()
    {
        lockstats_enable(false);
        lockdep_enable(LockdepMode::Off);
        if (f_ & kTrace) {
            trace_enable(false);
            trace_reset();
        }
    }

private:
    int64_t f_;
};

void label(benchmark::State& state)
{
    const int64_t f = state.range(0);
    std::string s = f == kOff ? "all off" : "";
    if (f & kStats) s += "stats ";
    if (f & kLockdep) s += "lockdep ";
    if (f & kTrace) s += "trace ";
    state.SetLabel(s);
}

void BM_StdMutex(benchmark::State& state)
{
    std::mutex m;
    for (auto _ : state) {
        m.lock();
        m.unlock();
    }
}
BENCHMARK(BM_StdMutex);

void BM_InstrumentedLock(benchmark::State& state)
{
    InstrumentedLock lock("bench.lock", LockImplKind::Mutex);
    FeaturesOn on(state.range(0));
    for (auto _ : state) {
        lock.lock();
        lock.unlock();
    }
    label(state);
}
BENCHMARK(BM_InstrumentedLock)->Arg(kOff)->Arg(kStats)->Arg(kLockdep)->Arg(kStats | kLockdep);
BENCHMARK(BM_InstrumentedLock)->Arg(kTrace)->Iterations(kTraceIterations);

// Statistics with hold times sampled 1 in N (--lock-stats-sample N): counts stay exact, the two
// clock reads of a timed hold happen once per N acquisitions.
void BM_InstrumentedLockSampled(benchmark::State& state)
{
    InstrumentedLock lock("bench.lock.sampled", LockImplKind::Mutex);
    FeaturesOn on(kStats);
    set_lock_hold_sample_period(unsigned(state.range(0)));
    for (auto _ : state) {
        lock.lock();
        lock.unlock();
    }
    set_lock_hold_sample_period(1);
    state.SetLabel("stats, hold sampled 1 in " + std::to_string(state.range(0)));
}
BENCHMARK(BM_InstrumentedLockSampled)->Arg(1)->Arg(8)->Arg(64);

// The inner lock of two: lockdep checks the (known) edge outer -> inner on every acquisition.
void BM_InstrumentedLockNested(benchmark::State& state)
{
    InstrumentedLock outer("bench.outer", LockImplKind::Mutex), inner("bench.inner", LockImplKind::Mutex);
    FeaturesOn on(state.range(0));
    outer.lock();
    for (auto _ : state) {
        inner.lock();
        inner.unlock();
    }
    outer.unlock();
    label(state);
}
BENCHMARK(BM_InstrumentedLockNested)->Arg(kOff)->Arg(kLockdep)->Arg(kStats | kLockdep);

// The hooks alone, as an implementation calls them (clock reads only when timing is on).
void BM_HooksOnly(benchmark::State& state)
{
    LockClass& c = LockClass::get("bench.hooks");
    FeaturesOn on(state.range(0));
    const auto site = std::source_location::current();
    for (auto _ : state) {
        lockdep_acquire(c, site);
        const uint64_t t = lock_timing_enabled() ? lockstat_now_ns() : 0;
        lockstat_acquired(c, 0, false, site);
        lockstat_released(c, t ? lockstat_now_ns() - t : 0);
        lockdep_release(c);
    }
    label(state);
}
BENCHMARK(BM_HooksOnly)->Arg(kOff)->Arg(kStats)->Arg(kLockdep)->Arg(kStats | kLockdep);

void BM_Clock(benchmark::State& state)
{
    for (auto _ : state) benchmark::DoNotOptimize(lockstat_now_ns());
}
BENCHMARK(BM_Clock);

}  // namespace
}  // namespace locklab

BENCHMARK_MAIN();
