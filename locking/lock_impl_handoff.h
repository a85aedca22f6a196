// HandoffLock: a barging lock with a bounded wait (`--lock-impl handoff`), after Go's sync.Mutex
// starvation mode and the Linux mutex's MUTEX_FLAG_HANDOFF.
//
// - Uncontended: lock() and unlock() are one compare-and-swap each on the lock word (17-19 ns a
//   pair against std::mutex's 12 on the project host: experiments/bql_starve --uncontended).
// - Contended: a waiter spins briefly, then queues (FIFO, a node on its own stack) and sleeps on a
//   futex in its node. Waiters barge as with std::mutex: whoever finds the lock free takes it, and
//   a sleeping waiter that is woken competes with the threads that arrive meanwhile. Signals go to a
//   word in the waiter's node; the futex syscall is made only if the waiter really sleeps.
// - Bounded wait: the waiter at the head of the queue that finds, when it runs, that it has waited
//   longer than the hand-off bound (since it queued) sets the HANDOFF bit and spins. The next
//   unlock() does not release the lock: it makes that waiter the owner, so the lock never looks free
//   in between and no barger or try_lock can take it. Then the lock barges again, until the next
//   head asks. The asking waiter is running, so the lock goes to a thread on a CPU: if the
//   hand-over does not come within kGrantSpin, it withdraws the request and sleeps until an unlock
//   wakes it, rather than have the lock passed to a sleeping thread, which stalls every other
//   thread until the scheduler runs it (milliseconds on an oversubscribed host: a convoy). Unlike
//   Go, a hand-over is never passed on to a waiter that did not ask, for the same reason.
// - Wake-ups: a release wakes at most one waiter, the oldest one not woken yet (none if all are,
//   or if nobody waits). A woken waiter that finds the lock held again sleeps again. Waking one at a
//   time until it has run (Go's `woken` flag) served hammering threads better but left a waiter
//   behind k others k scheduling delays late (experiments/bql_starve/README.md).
//
// The bound comes from set_lock_handoff_bound() (`--lock-handoff-us`) when the lock is made. Not
// recursive, not fair within the bound. lock/try_lock/unlock only: InstrumentedLock wraps it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "locking/lock_impl_spin.h"

namespace locklab {

// The hand-off bound of HandoffLocks made from now on. Set at start-up (before set_lock_impl, which
// re-makes the BQL); read-only afterwards.
constexpr std::chrono::microseconds kDefaultLockHandoffBound{100};
constexpr std::chrono::microseconds kGrantSpin{5};  // see HandoffLock's constructor
void set_lock_handoff_bound(std::chrono::nanoseconds bound);
std::chrono::nanoseconds lock_handoff_bound();

class HandoffLock {
public:
    HandoffLock() : HandoffLock(lock_handoff_bound()) {}
    // `grant_spin`: how long a waiter that asked for the hand-over waits for it on its CPU before it
    // withdraws the request and sleeps (tests make it long, to line hand-overs up deterministically).
    explicit HandoffLock(std::chrono::nanoseconds bound, std::chrono::nanoseconds grant_spin = kGrantSpin);
    ~HandoffLock();
    HandoffLock(const HandoffLock&) = delete;
    HandoffLock& operator=(const HandoffLock&) = delete;

    void lock()
    {
        uint32_t s = 0;
        if (!state_.compare_exchange_strong(s, kLocked, std::memory_order_acquire, std::memory_order_relaxed))
            lock_slow();
    }
    // Fails while the lock is held, including after unlock() handed it to a waiter that has not run yet.
    bool try_lock()
    {
        uint32_t s = state_.load(std::memory_order_relaxed);
        while (!(s & kLocked))
            if (state_.compare_exchange_weak(s, s | kLocked, std::memory_order_acquire, std::memory_order_relaxed))
                return true;
        return false;
    }
    void unlock()
    {
        uint32_t s = kLocked;
        if (!state_.compare_exchange_strong(s, 0, std::memory_order_release, std::memory_order_relaxed))
            unlock_slow();
    }

    // Counters for tests and experiments (relaxed: exact once the threads involved are joined).
    uint64_t handoffs() const { return handoffs_.load(std::memory_order_relaxed); }  // ownership passed by unlock
    uint64_t wakeups() const { return wakeups_.load(std::memory_order_relaxed); }    // waiters woken by unlock
    uint64_t withdrawals() const { return withdrawals_.load(std::memory_order_relaxed); }  // requests given up
    // Whether a waiter has asked for (or been promised) the next hand-over: the next unlock passes
    // ownership instead of releasing. Tests wait for it to line up a hand-over deterministically.
    bool handoff_pending() const { return state_.load(std::memory_order_acquire) & kHandoff; }
    unsigned waiters() const;  // threads queued (asleep, or between their wake-up and their next look)
    std::chrono::nanoseconds bound() const { return std::chrono::nanoseconds(bound_ns_); }

private:
    struct Waiter;

    // state_ bits. HANDOFF implies LOCKED: it is set only while the lock is held, and an unlock that
    // finds it keeps LOCKED for the waiter it hands over to.
    static constexpr uint32_t kLocked = 1;   // somebody owns the lock
    static constexpr uint32_t kWaiters = 2;  // the queue is not empty (changed only under wait_lock_)
    static constexpr uint32_t kHandoff = 4;  // unlock hands ownership to the head waiter

    void lock_slow();
    void unlock_slow();
    void enqueue(Waiter& w);
    void leave(Waiter& w);      // w took the lock by barging: out of the queue
    void wake_one();            // after a release that saw kWaiters: wake the oldest waiter not woken yet
    uint32_t await_signal(Waiter& w);  // sleeps until signalled; the kSignal* bits
    bool post(Waiter& w, uint32_t bit);  // sets a kSignal* bit in w (still ours to touch); true: w sleeps, wake it
    bool hand_over();           // unlock with kHandoff set: the head becomes the owner (false: it withdrew)
    void await_grant(Waiter& w);  // the head asked: spin for the hand-over, withdraw if it does not come
    bool starving(const Waiter& w, int64_t now_ns) const;

    const int64_t bound_ns_;       // immutable after construction
    const int64_t grant_spin_ns_;  // immutable after construction

    std::atomic<uint32_t> state_{0};  // atomic: the lock word (bits above)
    mutable SpinLock wait_lock_;      // protects the queue below; held briefly, never across a syscall
    Waiter* head_ = nullptr;          // protected by wait_lock_: oldest waiter (nodes on the waiters' stacks)
    Waiter* tail_ = nullptr;          // protected by wait_lock_: newest waiter
    std::atomic<uint64_t> handoffs_{0};  // atomic: statistics only
    std::atomic<uint64_t> wakeups_{0};   // atomic: statistics only
    std::atomic<uint64_t> withdrawals_{0};  // atomic: statistics only
};

}  // namespace locklab
