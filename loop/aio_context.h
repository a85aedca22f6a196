// AioContext: an event loop object (QEMU's AioContext). The main loop and every IOThread own one;
// devices and backends live in one. It serves fd handlers (epoll), event notifiers, timers per clock
// and bottom halves. aio_poll() runs only in the context's home thread; aio_notify() wakes it from
// any thread.
//
// CONTRACT (other folders already code against these declarations; extend, do not change them):
//   clock_ns(ClockType)                         now, in ns, on that clock
//   AioContext::new_timer(clock, cb)            -> std::unique_ptr<Timer>; cb runs in the home thread
//   Timer::mod(expire_ns), del(), pending()     callable from ANY thread (wakes the context)
//   AioContext::set_fd_handler(fd, rd, wr)      home thread or before the loop runs; empty fns remove
//   AioContext::schedule_oneshot(fn)            any thread; fn runs once in the home thread
//   AioContext::poll(blocking) -> bool          home thread only; true if progress was made
//   AioContext::notify()                        any thread
//
// Added since (see each declaration below): set_virtual_clock, BottomHalf and new_bh (idle and
// guarded BHs), set_event_notifier, home-thread binding and current_context(), the context lock
// (acquire/release on an RFifoLock, ContextLocking) and run_exclusive/run_in_context.
// IOThreads: loop/iothread.h; the main loop: loop/main_loop.h; drained sections and context moves:
// loop/drainable.h; waiting for a condition while serving a loop: loop/aio_wait.h.
//
// QEMU names, for readers of its documentation: aio_poll = poll, aio_notify = notify,
// aio_bh_new/qemu_bh_schedule = new_bh/BottomHalf::schedule, aio_bh_schedule_oneshot =
// schedule_oneshot, aio_set_fd_handler = set_fd_handler, aio_timer_new/timer_mod =
// new_timer/Timer::mod, aio_context_acquire/release = acquire/release, aio_wait_bh_oneshot =
// run_in_context, qemu_get_aio_context = main_context, qemu_get_current_aio_context =
// current_context, AIO_WAIT_WHILE = aio_wait_while, bdrv_drained_begin/end = drained_begin/end.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace locklab {

class ReentrancyGuard;
class EventNotifier;

// Realtime: the host's wall clock (CLOCK_REALTIME, ns since the epoch; runs while the guest is
//   stopped; what the RTC reads). Timers on it follow wall-clock steps.
// Virtual: guest time; host CLOCK_MONOTONIC unless set_virtual_clock() installed another source.
enum class ClockType { Realtime, Virtual };

int64_t clock_ns(ClockType c);

// Replace the Virtual clock's source (e.g. an instruction-counting clock for the deterministic
// single-thread mode); an empty function restores the host monotonic clock. Callable from any
// thread; sources installed earlier stay valid until exit, so concurrent readers never see a dead
// one. A source must be monotonic and callable from any thread. Contexts compute their sleep
// timeout from it as if it ran at host speed: with a slower or stopped virtual clock, poll the
// loop non-blocking or notify() it when virtual time jumps.
void set_virtual_clock(std::function<int64_t()> source);

class AioContext;

class Timer {
public:
    virtual ~Timer() = default;
    virtual void mod(int64_t expire_ns) = 0;  // (re)arm for an absolute deadline on its clock
    virtual void del() = 0;                   // disarm; the callback will not run afterwards
    virtual bool pending() const = 0;
    // Threading detail (as QEMU's timer_del): from the home thread the guarantees above are exact.
    // From another thread, a callback the home thread has already taken off the list (expired and
    // about to run, or running) still runs once: mod/del never wait for it, because a callback that
    // takes the BQL would deadlock against a caller holding it. Callbacks therefore re-check their
    // condition under their device's lock. Destroying a Timer from any thread is safe even while
    // its callback runs (the running call keeps its own reference to the callback).
};

// A bottom half: a callback that runs once in its context's home thread after being scheduled
// (QEMU's QEMUBH). Destroying the handle deletes the BH; that is safe from any thread and from
// inside the BH's own callback (the context frees it later, never while it runs).
class BottomHalf {
public:
    struct Node;
    ~BottomHalf();
    BottomHalf(const BottomHalf&) = delete;
    BottomHalf& operator=(const BottomHalf&) = delete;

    void schedule();       // any thread; idempotent until it runs; wakes the context
    void schedule_idle();  // as schedule(), but not counted as progress; runs within ~10 ms
    void cancel();         // any thread; a scheduled call that has not started will not happen

private:
    friend class AioContext;
    explicit BottomHalf(Node* n) : node_(n) {}
    Node* const node_;  // owned jointly with the context's BH list (see bottom_half.cpp)
};

// Who may touch a context's state from outside its home thread (DESIGN.md, reference §4.8):
// HomeThread  - nobody: other threads send work as one-shot BHs (run_in_context) and quiesce
//               users with drained sections. What QEMU does since 2.8/9.0. The default.
// ContextLock - whoever holds the context's RFifoLock (acquire/release). The loop runner holds it
//               while polling and is poked by the contention callback to let waiters in; poll()
//               may then run in any thread that holds the lock (QEMU 2.0-2.7).
enum class ContextLocking { HomeThread, ContextLock };

class AioContext {
public:
    explicit AioContext(std::string name);
    AioContext(std::string name, ContextLocking locking);
    // Destroy only after every thread stopped using it. Timers and BHs may outlive it (they then
    // do nothing); pending one-shot BHs are dropped without running.
    ~AioContext();
    AioContext(const AioContext&) = delete;
    AioContext& operator=(const AioContext&) = delete;

    const std::string& name() const;
    ContextLocking locking() const;

    std::unique_ptr<Timer> new_timer(ClockType clock, std::function<void()> cb);
    // Also callable from any thread (the change takes effect at the next wait); from a thread other
    // than the one polling, it returns only after a call of the old handler under way returned, so
    // the fd and what the handler captured may be destroyed next (never call it holding a lock the
    // old handler takes). EPOLLERR/EPOLLHUP call on_readable (which then sees the error or EOF), or
    // on_writable if there is no reader. Throws std::system_error if epoll refuses the fd (bad fd,
    // regular file).
    void set_fd_handler(int fd, std::function<void()> on_readable, std::function<void()> on_writable = {});
    void schedule_oneshot(std::function<void()> fn);

    // Bottom halves; a guarded BH marks `guard` engaged while it runs (restoring the previous value
    // afterwards), so MMIO into the guard's device from inside the BH is refused.
    std::unique_ptr<BottomHalf> new_bh(std::function<void()> cb, ReentrancyGuard* guard = nullptr);

    // Runs cb (in the home thread) whenever `n` is signalled, after clearing it; an empty cb removes
    // the handler (waiting, as set_fd_handler, for a call under way). `n` must outlive its
    // registration.
    void set_event_notifier(EventNotifier& n, std::function<void()> cb);

    // One pass: wait (if blocking and nothing is ready) for an fd, a notify() or the next timer
    // deadline; then run scheduled BHs, ready fd handlers, expired timers. Returns true if a
    // non-idle BH, an fd handler or a timer ran (a bare notify() is not progress). Nesting (poll
    // from inside a callback) is allowed. Throws std::logic_error when called from a thread that
    // may not poll (see ContextLocking). Callbacks must not throw: an exception escaping one
    // terminates the process (naming it), since the loop cannot resume half-way through a pass.
    bool poll(bool blocking);
    void notify();

    // Home thread: the thread that polls this context. Bound by attach_current_thread(), or by the
    // first poll() if nobody attached. attach_current_thread() also makes this context the
    // thread's current_context(), and marks the thread an event-loop thread, whose contended lock
    // acquisitions spin a bounded while before sleeping (locking/lock_wait_policy.h); the thread
    // also asks the scheduler for locklab's short slice (loop/thread_scheduling.h).
    void attach_current_thread();
    bool in_home_thread() const;

    // The context lock (ContextLocking::ContextLock only; throws std::logic_error in HomeThread
    // mode). Recursive, FIFO between threads; a waiter pokes the owner with notify().
    void acquire();
    void release();
    bool held_by_me() const;
    bool has_lock_waiters() const;  // threads are queued for the context lock

    // Run fn with exclusive use of this context, from any thread, and wait for it: under the
    // context lock (ContextLock), or as a one-shot BH in the home thread (HomeThread; fn runs
    // directly if the caller is the home thread). Rethrows fn's exception in the caller.
    void run_exclusive(const std::function<void()>& fn);

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;  // shared with this context's timers and BHs (they may outlive it)
};

// The context whose home thread is the calling thread (set by attach_current_thread), or nullptr.
AioContext* current_context();

// Run fn in ctx's home thread and wait until it has run (QEMU's aio_wait_bh_oneshot). If the
// caller is itself the home thread of a context, that context keeps being polled while waiting
// (so the target may send work back without deadlock); if the caller is ctx's home thread, fn
// runs at once. Rethrows fn's exception.
void run_in_context(AioContext& ctx, const std::function<void()>& fn);

}  // namespace locklab
