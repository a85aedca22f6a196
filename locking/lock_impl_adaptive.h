// AdaptiveMutex: glibc's adaptive mutex (PTHREAD_MUTEX_ADAPTIVE_NP; `--lock-impl adaptive`).
//
// A waiter first retries the lock for a bounded number of rounds (glibc's tunable
// glibc.pthread.mutex_spin_count, default 100, with a pause between tries), then sleeps in the
// futex as std::mutex's waiters do. Barging, not fair, not recursive. The spin is for holds much
// shorter than a sleep and a wake-up: the BQL's MMIO holds are ~50 ns, and a sleeping waiter of a
// barging lock pays a wake-up each time it is woken only to find that a vCPU took the lock again
// before it ran (the main loop waiting for the BQL behind hammering vCPUs; see
// experiments/blk_bench/README.md). The bound keeps a waiter from burning a core when the holder
// has been preempted.
#pragma once

#include <pthread.h>

namespace locklab {

class AdaptiveMutex {
public:
    AdaptiveMutex()
    {
        pthread_mutexattr_t attr;
        pthread_mutexattr_init(&attr);
        pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
        pthread_mutex_init(&m_, &attr);
        pthread_mutexattr_destroy(&attr);
    }
    ~AdaptiveMutex() { pthread_mutex_destroy(&m_); }
    AdaptiveMutex(const AdaptiveMutex&) = delete;
    AdaptiveMutex& operator=(const AdaptiveMutex&) = delete;

    void lock() { pthread_mutex_lock(&m_); }  // cannot fail for this type (no owner checks)
    bool try_lock() { return pthread_mutex_trylock(&m_) == 0; }
    void unlock() { pthread_mutex_unlock(&m_); }

private:
    pthread_mutex_t m_;  // the lock itself
};

}  // namespace locklab
