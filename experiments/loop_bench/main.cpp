// loop_bench: prints, in one run, the event loop's cross-thread wake-up latencies next to the raw
// eventfd -> epoll floor, and three locks under contention.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "lock_contention.h"
#include "wake_latency.h"

using namespace locklab::bench;

int main(int argc, char** argv)
{
    WakeConfig wake;
    ContentionConfig lock;
    int lock_ms = int(lock.duration.count());
    int gap_us = int(wake.gap.count());
    CLI::App app{"loop_bench: AioContext wake-up latency and RFifoLock contention"};
    app.add_option("--samples", wake.samples, "wake-up samples per row")->check(CLI::PositiveNumber);
    app.add_option("--gap-us", gap_us, "pause between wake-up samples (sleeper really asleep)")->check(CLI::NonNegativeNumber);
    app.add_option("--threads", lock.threads, "threads contending for each lock")->check(CLI::Range(1, 256));
    app.add_option("--lock-ms", lock_ms, "duration of each contention run")->check(CLI::PositiveNumber);
    CLI11_PARSE(app, argc, argv);
    wake.gap = std::chrono::microseconds(gap_us);
    lock.duration = std::chrono::milliseconds(lock_ms);

    fmt::print("Cross-thread wake-up latency ({} samples, {} us apart; ns)\n", wake.samples, gap_us);
    const LatencySamples floor = raw_eventfd_epoll(wake);
    const double floor_median = floor.quantile_ns(0.5);
    fmt::print("{:<36} {:>10} {:>10} {:>14}\n", "path", "median", "p99", "median/floor");
    auto row = [&](const char* name, const LatencySamples& h) {
        fmt::print("{:<36} {:>10.0f} {:>10.0f} {:>14.2f}\n", name, h.quantile_ns(0.5), h.quantile_ns(0.99),
                   h.quantile_ns(0.5) / floor_median);
    };
    row("raw eventfd write -> epoll wake", floor);
    row("aio_notify -> blocked poll returns", aio_notify_wakeup(wake));
    row("BH schedule -> BH runs", bh_schedule_to_run(wake));

    fmt::print("\nLocks under contention ({} threads, {} ms each, {} / {} spin iterations in / out)\n",
               lock.threads, lock_ms, lock.inside_work, lock.outside_work);
    fmt::print("{:<22} {:>14} {:>14} {:>8}  {}\n", "lock", "acq/s", "spread", "Jain", "per-thread acquisitions");
    for (auto run : {contend_rfifo_lock, contend_recursive_mutex, contend_tbb_queuing_mutex}) {
        const ContentionResult r = run(lock);
        fmt::print("{:<22} {:>14.0f} {:>14.3f} {:>8.3f}  {}\n", r.lock, r.throughput(), r.spread(), r.jain(),
                   fmt::join(r.per_thread, " "));
    }
    fmt::print("\nspread = (max - min) / mean of per-thread acquisitions (0 = fair); Jain = 1 is fair.\n");
    return 0;
}
