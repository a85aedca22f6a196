#include "locking/lock_wait_policy.h"

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "locking/lock_impl_spin.h"

namespace locklab {

namespace {
// Atomic (relaxed): set at start-up by the machine, read by every contended acquisition of a marked thread.
std::atomic<int64_t> g_spin_ns{std::chrono::nanoseconds(kDefaultEventLoopSpin).count()};
thread_local bool t_event_loop = false;  // home thread only: the thread's own mark
}  // namespace

void set_event_loop_lock_spin(std::chrono::nanoseconds bound)
{
    g_spin_ns.store(std::max<int64_t>(bound.count(), 0), std::memory_order_relaxed);
}

std::chrono::nanoseconds event_loop_lock_spin() { return std::chrono::nanoseconds(g_spin_ns.load(std::memory_order_relaxed)); }

void mark_this_thread_event_loop(bool event_loop) { t_event_loop = event_loop; }
bool this_thread_is_event_loop() { return t_event_loop; }

bool spin_for_lock(RawLock& lock)
{
    if (!t_event_loop) return false;
    const std::chrono::nanoseconds bound = event_loop_lock_spin();
    if (bound.count() == 0) return false;
    using Clock = std::chrono::steady_clock;
    const Clock::time_point deadline = Clock::now() + bound;
    // Pauses between tries grow to 64 (about 2-5 us on current x86): a holder's tens of
    // nanoseconds end within the first few, a longer hold is not hammered with exchanges.
    unsigned pauses = 1;
    for (;;) {
        if (lock.try_lock()) return true;
        for (unsigned i = 0; i < pauses; ++i) cpu_pause();
        pauses = std::min(pauses * 2, 64u);
        if (Clock::now() >= deadline) return lock.try_lock();
    }
}

}  // namespace locklab
