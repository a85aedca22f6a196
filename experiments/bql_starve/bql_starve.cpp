// bql_starve: the BQL contention of experiments/blk_bench without the emulator. `--hammers` threads
// take the lock back to back with a short critical section (the vCPUs reading the UART's LSR under
// the BQL); one "main loop" thread wakes every `--period-us`, takes the lock, holds it a little
// (processing a virtqueue) and goes back to sleep. Reported per lock implementation (and hand-off
// bound): the hammers' acquisitions per second, how often the main loop got the lock, and how long
// it waited for it (median, p99, max). Barging starves the main loop; a FIFO hand-over makes every
// acquisition wait for a sleeping thread; the hand-off bound should keep both in check.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "locking/lock_impl.h"

using namespace locklab;
using Clock = std::chrono::steady_clock;

namespace {

struct Config {
    int hammers = 3;
    int ms = 1000;
    int period_us = 50;
    int inside = 20, outside = 20;  // hammer work in / out of the lock (loop iterations)
    int main_inside = 2000;         // main loop work under the lock
};

void work(int n, volatile long& sink)
{
    for (int i = 0; i < n; ++i) sink = sink + 1;
}

struct Result {
    double hammer_mops = 0, main_per_s = 0, mean_us = 0, p50_us = 0, p99_us = 0, max_us = 0;
};

Result run(LockImplKind kind, const Config& cfg)
{
    RawLock lock(kind);
    std::atomic<bool> stop{false};
    std::atomic<long> hammered{0};
    volatile long shared = 0;  // protected by lock
    std::vector<std::thread> threads;
    for (int t = 0; t < cfg.hammers; ++t)
        threads.emplace_back([&] {
            volatile long local = 0;
            long n = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                lock.lock();
                work(cfg.inside, shared);
                lock.unlock();
                ++n;
                work(cfg.outside, local);
            }
            hammered += n;
        });
    std::vector<double> waits;
    const auto t0 = Clock::now();
    const auto end = t0 + std::chrono::milliseconds(cfg.ms);
    while (Clock::now() < end) {
        std::this_thread::sleep_for(std::chrono::microseconds(cfg.period_us));
        const auto w0 = Clock::now();
        lock.lock();
        waits.push_back(std::chrono::duration<double, std::micro>(Clock::now() - w0).count());
        work(cfg.main_inside, shared);
        lock.unlock();
    }
    stop = true;
    for (auto& t : threads) t.join();
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    std::sort(waits.begin(), waits.end());
    auto q = [&](double f) { return waits.empty() ? 0 : waits[std::min(waits.size() - 1, size_t(f * double(waits.size())))]; };
    double sum = 0;
    for (double w : waits) sum += w;
    return {double(hammered.load()) / s / 1e6, double(waits.size()) / s, waits.empty() ? 0 : sum / double(waits.size()),
            q(0.5), q(0.99), waits.empty() ? 0 : waits.back()};
}

// One thread, nobody else: the fast path's cost, ns per lock + unlock.
double uncontended_ns(LockImplKind kind)
{
    RawLock lock(kind);
    constexpr long kRounds = 20'000'000;
    const auto t0 = Clock::now();
    for (long i = 0; i < kRounds; ++i) {
        lock.lock();
        lock.unlock();
    }
    return std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / double(kRounds);
}

}  // namespace

int main(int argc, char** argv)
{
    Config cfg;
    std::vector<std::string> impls = {"mutex", "queuing", "handoff"};
    std::vector<int> bounds = {20, 100, 1000};
    int repeat = 3;
    bool uncontended = false;
    CLI::App app{"bql_starve: hammering threads against an occasional main-loop thread, per lock implementation"};
    app.add_option("--hammers", cfg.hammers, "threads taking the lock back to back")->check(CLI::Range(1, 64));
    app.add_option("--ms", cfg.ms, "duration of each run")->check(CLI::PositiveNumber);
    app.add_option("--period-us", cfg.period_us, "the main loop's sleep between acquisitions");
    app.add_option("--impl", impls, "lock implementations (--lock-impl names)");
    app.add_option("--bound-us", bounds, "hand-off bounds for handoff (--lock-handoff-us)");
    app.add_option("--repeat", repeat, "runs of each configuration, interleaved; medians reported")
        ->check(CLI::PositiveNumber);
    app.add_flag("--uncontended", uncontended, "instead: ns per lock + unlock with one thread, per implementation");
    CLI11_PARSE(app, argc, argv);
    if (uncontended) {
        for (const auto& name : lock_impl_names())
            fmt::print("{:<10} {:>6.1f} ns per lock + unlock\n", name, uncontended_ns(*parse_lock_impl(name)));
        return 0;
    }

    struct Variant {
        std::string label;
        LockImplKind kind;
        int bound_us;  // -1: not a handoff lock
        std::vector<Result> runs;
    };
    std::vector<Variant> variants;
    for (const auto& name : impls) {
        const auto kind = parse_lock_impl(name);
        if (!kind) {
            fmt::print(stderr, "unknown lock implementation {}\n", name);
            return 2;
        }
        if (*kind != LockImplKind::Handoff)
            variants.push_back({name, *kind, -1, {}});
        else
            for (int b : bounds) variants.push_back({fmt::format("{} {}us", name, b), *kind, b, {}});
    }
    for (int r = 0; r < repeat; ++r)  // interleaved, so a change in the host's load hits every variant alike
        for (auto& v : variants) {
            if (v.bound_us >= 0) set_lock_handoff_bound(std::chrono::microseconds(v.bound_us));
            v.runs.push_back(run(v.kind, cfg));
        }

    fmt::print("{} hammer threads, main loop every {} us, {} ms a run, median of {}\n", cfg.hammers, cfg.period_us,
               cfg.ms, repeat);
    fmt::print("{:<14} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12}\n", "lock", "hammer Mops", "main acq/s",
               "wait mean us", "wait p50 us", "wait p99 us", "wait max us");
    for (auto& v : variants) {
        auto med = [&](double Result::*m) {
            std::vector<double> x;
            for (const auto& r : v.runs) x.push_back(r.*m);
            std::sort(x.begin(), x.end());
            return x[x.size() / 2];
        };
        fmt::print("{:<14} {:>12.2f} {:>12.0f} {:>12.1f} {:>12.1f} {:>12.1f} {:>12.1f}\n", v.label,
                   med(&Result::hammer_mops), med(&Result::main_per_s), med(&Result::mean_us), med(&Result::p50_us),
                   med(&Result::p99_us), med(&Result::max_us));
    }
    return 0;
}
