// RFifoLock: a recursive lock with strict FIFO hand-over between threads and an optional
// contention callback (QEMU 2.0's util/rfifolock.c, the lock behind aio_context_acquire).
//
// - Recursion: the owner may lock again; it must unlock as many times.
// - FIFO: waiters get the lock in the order they asked for it. On the last unlock the owner hands
//   the lock directly to the oldest waiter (no barging: a thread that arrives later, including the
//   old owner re-locking at once, queues behind).
// - Contention callback: a thread that has to wait calls it once before sleeping, and an owner
//   that hands the lock over while more threads still wait calls it again on their behalf (so the
//   new owner is poked too). It exists so that an owner blocked for a long time while holding the
//   lock (an IOThread sleeping in aio_poll) can be told to let waiters in: AioContext passes a
//   callback that calls aio_notify. It must be cheap, must not take this lock, and should be
//   "sticky" (a poke that arrives before the owner blocks still takes effect, as aio_notify's
//   `notified` flag does). It runs with no lock of this object held.
//
// Waiters sleep (each on its own condition variable: a hand-over wakes exactly one thread).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace locklab {

class RFifoLock {
public:
    using ContentionCallback = std::function<void()>;

    explicit RFifoLock(ContentionCallback on_contention = {});
    ~RFifoLock();
    RFifoLock(const RFifoLock&) = delete;
    RFifoLock& operator=(const RFifoLock&) = delete;

    void lock();
    bool try_lock();  // succeeds if free with nobody queued, or if the caller already owns it
    void unlock();    // throws std::logic_error if the caller does not own the lock

    bool held_by_me() const;
    unsigned depth() const;  // the caller's recursion depth (0 if it does not own the lock)
    unsigned waiters() const;

private:
    struct Waiter;

    const ContentionCallback on_contention_;  // immutable after construction

    mutable std::mutex m_;       // protects every field below
    std::thread::id owner_;      // protected by m_; default id = unowned
    unsigned nesting_ = 0;       // protected by m_; the owner's recursion depth
    Waiter* queue_head_ = nullptr;  // protected by m_; FIFO of sleeping waiters (on their stacks)
    Waiter* queue_tail_ = nullptr;  // protected by m_
    unsigned queued_ = 0;           // protected by m_
};

}  // namespace locklab
