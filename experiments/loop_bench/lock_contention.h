// Locks under contention: N threads repeatedly take the lock, do a short critical section, release
// it and do a little work outside, for a fixed time. Reports throughput and how evenly the
// acquisitions were spread over the threads (fairness).
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace locklab::bench {

struct ContentionConfig {
    int threads = 4;
    std::chrono::milliseconds duration{500};
    int inside_work = 50;   // loop iterations inside the critical section
    int outside_work = 50;  // and outside it
};

struct ContentionResult {
    std::string lock;
    std::vector<long> per_thread;  // acquisitions by each thread
    double seconds = 0;

    double throughput() const;  // acquisitions per second, all threads
    double spread() const;      // (max - min) / mean of per_thread: 0 = perfectly fair
    double jain() const;        // Jain's fairness index: 1 = perfectly fair, 1/n = one thread only
};

ContentionResult contend_rfifo_lock(const ContentionConfig& cfg);
ContentionResult contend_recursive_mutex(const ContentionConfig& cfg);
ContentionResult contend_tbb_queuing_mutex(const ContentionConfig& cfg);

}  // namespace locklab::bench
