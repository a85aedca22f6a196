// dispatch_bench: what one MMIO access costs on the dispatch path (memory/dispatch.cpp), for every
// lifetime policy x lock model, next to a raw host primitive, as a ratio.
//
//   primitive      an uncontended std::mutex lock/unlock plus an atomic increment: the least a
//                  locked device access can cost on this host
//   callback       the region's write callback alone (MemoryRegion::write, no dispatch path)
//   <policy>/<model>  AddressSpace::write to the device's register, as the interpreter's store slow
//                  path does it (RAM check, then the eight steps), inside an RCU read section as a
//                  vCPU's run() is
//
// The device is a one-register Device marked safe without the BQL (as mmio-scratch is), so the
// per-device and trylock models take its own lock and `global` takes the BQL. Lock statistics,
// lockdep and tracing are off. Every benchmark is repeated (--benchmark_repetitions, default 9) and
// the table uses the median CPU time per access, which a loaded host disturbs less than wall time.
//
// Run: build/release/experiments/dispatch_bench/dispatch_bench [google-benchmark options]
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "locking/lock_model.h"
#include "locking/rcu.h"
#include "memory/address_space.h"
#include "memory/lifetime_policy.h"
#include "memory/memory_region.h"
#include "qom/device.h"

namespace locklab {
namespace {

constexpr hwaddr kBase = 0x1100'0000;  // where a research slot would be; any MMIO address does
constexpr LifetimePolicy kPolicies[] = {LifetimePolicy::RefPerAccess, LifetimePolicy::SnapshotRef,
                                        LifetimePolicy::None};

// One 8-byte register; the callbacks do as little as a device can.
class OneRegister final : public Device {
public:
    OneRegister()
        : Device("bench-device"),
          mmio_(this, "bench-mmio", 8,
                MmioOps{.read = [this](hwaddr, unsigned, uint64_t& v) { v = reg_; return MemTx::Ok; },
                        .write = [this](hwaddr, unsigned, uint64_t v) { reg_ = v; return MemTx::Ok; },
                        .min_access = 8, .max_access = 8})
    {
        lock_domain().bql_free = true;
    }
    const char* type_name() const override { return "bench-device"; }
    MemoryRegion& mmio() { return mmio_; }

private:
    uint64_t reg_ = 0;  // protected by the lock model (one benchmark thread anyway)
    MemoryRegion mmio_;
};

void BM_Primitive(benchmark::State& state)
{
    std::mutex m;
    std::atomic<uint64_t> n{0};
    for (auto _ : state) {
        m.lock();
        n.fetch_add(1, std::memory_order_relaxed);
        m.unlock();
    }
    benchmark::DoNotOptimize(n.load());
}

void BM_Callback(benchmark::State& state)
{
    Ref<OneRegister> dev = make_object<OneRegister>();
    uint64_t v = 0;
    for (auto _ : state) benchmark::DoNotOptimize(dev->mmio().write(0, 8, v++));
}

void BM_Dispatch(benchmark::State& state, LifetimePolicy policy, std::string_view model)
{
    set_lifetime_policy(policy);
    set_lock_model(make_lock_model(model));
    Ref<OneRegister> dev = make_object<OneRegister>();
    dev->realize();
    AddressSpace as("bench");
    as.add_region(kBase, dev->mmio());
    {
        RcuReadGuard vcpu_run;  // a vCPU dispatches from inside its run()'s read section
        uint64_t v = 0;
        for (auto _ : state) {
            if (as.write(kBase, 8, v++) != MemTx::Ok) {
                state.SkipWithError("the access failed");
                break;
            }
        }
    }
    as.remove_region(dev->mmio());
    rcu_barrier();  // the old views, and their references on the device, are gone
    dev->unrealize();
}

// Collects the median CPU time of each benchmark while the console shows the usual output.
class Medians : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override
    {
        for (const Run& r : runs)
            if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "median")
                ns[r.run_name.function_name] = r.GetAdjustedCPUTime();
        ConsoleReporter::ReportRuns(runs);
    }
    std::map<std::string, double> ns;  // benchmark name -> median CPU ns per iteration
};

std::string dispatch_name(LifetimePolicy p, std::string_view model)
{
    return "dispatch/" + std::string(to_string(p)) + "/" + std::string(model);
}

}  // namespace
}  // namespace locklab

int main(int argc, char** argv)
{
    using namespace locklab;
    std::vector<char*> args(argv, argv + argc);
    std::string reps = "--benchmark_repetitions=9";
    bool has_reps = false;
    for (char* a : args) has_reps |= std::string_view(a).starts_with("--benchmark_repetitions");
    if (!has_reps) args.push_back(reps.data());
    int n = int(args.size());
    benchmark::Initialize(&n, args.data());
    if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;

    auto tune = [](benchmark::internal::Benchmark* b) {
        b->Unit(benchmark::kNanosecond)->ReportAggregatesOnly(true)->MinTime(0.05);
    };
    tune(benchmark::RegisterBenchmark("primitive", BM_Primitive));
    tune(benchmark::RegisterBenchmark("callback", BM_Callback));
    // Models outer: making a trylock-queue or -notify model switches the deferred-work check of every
    // unlock on for good (locking/work_queue.h), so the models before them are measured without it,
    // as on a machine that runs them.
    for (std::string_view m : lock_model_names())
        for (LifetimePolicy p : kPolicies)
            tune(benchmark::RegisterBenchmark(dispatch_name(p, m).c_str(), BM_Dispatch, p, m));

    Medians medians;
    benchmark::RunSpecifiedBenchmarks(&medians);
    benchmark::Shutdown();

    const double floor = medians.ns["primitive"];
    if (floor <= 0) return 0;  // filtered out: no table
    std::printf("\nmedian CPU ns per access (x = / primitive %.1f ns = std::mutex lock/unlock + atomic inc)\n", floor);
    std::printf("%-16s", "policy \\ model");
    for (std::string_view m : lock_model_names()) std::printf(" %16.*s", int(m.size()), m.data());
    std::printf("\n");
    for (LifetimePolicy p : kPolicies) {
        const std::string_view pn = to_string(p);
        std::printf("%-16.*s", int(pn.size()), pn.data());
        for (std::string_view m : lock_model_names()) {
            const auto it = medians.ns.find(dispatch_name(p, m));
            if (it == medians.ns.end()) std::printf(" %16s", "-");
            else std::printf(" %7.1f (%5.2fx)", it->second, it->second / floor);
        }
        std::printf("\n");
    }
    if (medians.ns.contains("callback")) std::printf("callback alone: %.1f ns\n", medians.ns["callback"]);
    return 0;
}
