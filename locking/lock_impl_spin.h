// SpinLock: test-and-test-and-set with exponential backoff (`--lock-impl spin`).
//
// A waiter spins on a plain load (the cache line stays shared until the holder writes it), and only
// then tries the exchange. Between tries it backs off with an exponentially growing run of CPU pause
// instructions; past a cap it yields its CPU each round, because vCPU threads may outnumber host
// cores (a spinning waiter would otherwise burn the slice the holder needs to finish). Not fair, not
// recursive.
#pragma once

#include <atomic>

namespace locklab {

// One CPU pause instruction (a spin-wait hint): what spinning waiters run between looks at a lock word.
inline void cpu_pause()
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

class SpinLock {
public:
    void lock()
    {
        if (!try_lock()) lock_slow();
    }
    bool try_lock()
    {
        return !locked_.load(std::memory_order_relaxed) && !locked_.exchange(true, std::memory_order_acquire);
    }
    void unlock() { locked_.store(false, std::memory_order_release); }

private:
    void lock_slow();

    std::atomic<bool> locked_{false};  // atomic: the lock word itself
};

}  // namespace locklab
