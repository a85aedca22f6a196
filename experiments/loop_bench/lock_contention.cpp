#include "lock_contention.h"

#include <tbb/queuing_mutex.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <numeric>
#include <thread>

#include "locking/rfifo_lock.h"

namespace locklab::bench {

double ContentionResult::throughput() const
{
    return double(std::accumulate(per_thread.begin(), per_thread.end(), 0L)) / seconds;
}

double ContentionResult::spread() const
{
    const auto [lo, hi] = std::minmax_element(per_thread.begin(), per_thread.end());
    const double mean = double(std::accumulate(per_thread.begin(), per_thread.end(), 0L)) / double(per_thread.size());
    return mean > 0 ? double(*hi - *lo) / mean : 0;
}

double ContentionResult::jain() const
{
    double sum = 0, sq = 0;
    for (long v : per_thread) {
        sum += double(v);
        sq += double(v) * double(v);
    }
    return sq > 0 ? sum * sum / (double(per_thread.size()) * sq) : 0;
}

namespace {
void spin(int n, volatile long& sink)
{
    for (int i = 0; i < n; ++i) sink = sink + 1;
}

// `with_lock(fn)` runs fn holding the lock under test.
template <class WithLock>
ContentionResult contend(const char* name, const ContentionConfig& cfg, WithLock with_lock)
{
    ContentionResult r{name, std::vector<long>(size_t(cfg.threads), 0), 0};
    std::atomic<int> ready{0};
    std::atomic<bool> go{false}, stop{false};
    volatile long shared = 0;  // protected by the lock under test
    std::vector<std::thread> threads;
    for (int t = 0; t < cfg.threads; ++t) {
        threads.emplace_back([&, t] {
            volatile long local = 0;
            long count = 0;
            ++ready;
            while (!go) std::this_thread::yield();
            while (!stop.load(std::memory_order_relaxed)) {
                with_lock([&] { spin(cfg.inside_work, shared); });
                ++count;
                spin(cfg.outside_work, local);
            }
            r.per_thread[size_t(t)] = count;
        });
    }
    while (ready < cfg.threads) std::this_thread::yield();
    const auto t0 = std::chrono::steady_clock::now();
    go = true;
    std::this_thread::sleep_for(cfg.duration);
    stop = true;
    for (auto& th : threads) th.join();
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}
}  // namespace

ContentionResult contend_rfifo_lock(const ContentionConfig& cfg)
{
    RFifoLock lock;
    return contend("RFifoLock", cfg, [&](auto&& fn) {
        std::lock_guard g(lock);
        fn();
    });
}

ContentionResult contend_recursive_mutex(const ContentionConfig& cfg)
{
    std::recursive_mutex lock;
    return contend("std::recursive_mutex", cfg, [&](auto&& fn) {
        std::lock_guard g(lock);
        fn();
    });
}

ContentionResult contend_tbb_queuing_mutex(const ContentionConfig& cfg)
{
    tbb::queuing_mutex lock;
    return contend("tbb::queuing_mutex", cfg, [&](auto&& fn) {
        tbb::queuing_mutex::scoped_lock g(lock);
        fn();
    });
}

}  // namespace locklab::bench
