// InstrumentedLock: a lock of one lock class (lock_class.h) on a chosen implementation (lock_impl.h)
// that calls the instrumentation hooks exactly as lock_class.h's contract says, knows which thread
// holds it, and owns the lock's DeferredWork (work_queue.h). Device locks (LockDomain) and the BQL
// are InstrumentedLocks.
//
// Not recursive, whatever the implementation: lock() or try_lock() by the holder throws
// std::logic_error (callers that may already hold it ask held_by_me() first, as the lock models do).
// unlock() deals with the deferred work before and after the release (work_queue.h), so every path
// that releases the lock — a LockHold, a guard, bql_unlock() — runs what others queued.
//
// A contended lock() by an event-loop thread spins a bounded while before it sleeps
// (lock_wait_policy.h); any other thread sleeps at once, as the implementation does.
#pragma once

#include <atomic>
#include <cstdint>
#include <source_location>
#include <string_view>
#include <thread>

#include "locking/async_executor.h"
#include "locking/lock_class.h"
#include "locking/lock_impl.h"
#include "locking/work_queue.h"

namespace locklab {

class InstrumentedLock {
public:
    explicit InstrumentedLock(std::string_view lock_class, LockImplKind impl = current_lock_impl());
    InstrumentedLock(const InstrumentedLock&) = delete;
    InstrumentedLock& operator=(const InstrumentedLock&) = delete;

    // `site`: where the caller stands (statistics and lockdep report it).
    void lock(const std::source_location& site = std::source_location::current());
    bool try_lock(const std::source_location& site = std::source_location::current());
    void unlock();  // throws std::logic_error unless this thread holds the lock

    // Whether the calling thread holds the lock (cheap: one relaxed load).
    bool held_by_me() const { return owner_.load(std::memory_order_relaxed) == std::this_thread::get_id(); }

    // Hands `work` to whoever holds the lock instead of waiting for it (work_queue.h says what
    // happens to it, by kind). If the lock turns out to be free, takes it and deals with the work
    // itself (a RunByHolder item then runs on this thread before defer() returns). `ex` receives
    // PostOnRelease work.
    void defer(DeferredWork::Kind kind, AsyncWork work, const AsyncExecutor& ex,
               const std::source_location& site = std::source_location::current());

    LockClass& lock_class() const { return class_; }
    LockImplKind impl() const { return raw_.kind(); }
    // Rebuilds the lock on another implementation (set_lock_impl does it for the BQL). Only while
    // nobody holds or waits for the lock: throws std::logic_error if a thread holds it.
    void set_impl(LockImplKind impl);

private:
    void acquired(bool contended, uint64_t wait_start, const std::source_location& site);
    void release();  // hooks, owner, raw unlock: the release itself, without the deferred work
    void unlock_and_settle();  // unlock() when some model defers work: the queue before and after

    LockClass& class_;  // immutable
    RawLock raw_;       // the lock itself; its kind changes only through set_impl
    // Atomic: written by the holder (its id while it holds the lock, empty otherwise); any thread
    // reads it, but only to compare it with its own id, which only it can have stored.
    std::atomic<std::thread::id> owner_{};
    uint64_t acquired_at_ = 0;  // protected by the lock: when the holder got it, in lockstat_now_ticks() (0: hold not timed)
    // Protected by the lock: whether the holder's acquisition ran the hooks (instrumentation was on),
    // so the release runs them too even if a feature was switched meanwhile.
    bool instrumented_ = false;
    DeferredWork deferred_;     // thread-safe itself (work_queue.h)
};

}  // namespace locklab
