// Internal to loop/: the state behind an AioContext, shared (std::shared_ptr) with the context's
// timers and BHs so that they may outlive it. Not for use outside loop/.
//
// The notify_me / notified protocol (QEMU's util/async.c + aio-posix.c, reference §4.2)
// ---------------------------------------------------------------------------------------
// Problem: poll(blocking) must not sleep when another thread has just scheduled work, and a
// notifier must not pay a syscall when the home thread is not sleeping.
//
//   notify() (any thread):                 poll(blocking) (home thread):
//     [work published: BH pushed,            N1 notify_me += 1
//      timer armed]                          N2 timeout = notified ? 0 : earliest deadline,
//     W1 notified = true                        and 0 if a BH is already scheduled
//     W2 if (notify_me) doorbell.set()       N3 epoll wait (the doorbell fd is in the set)
//                                            N4 notify_me -= 1
//                                            N5 notified.exchange(false); clear the doorbell
//                                            N6 run BHs, fd handlers, timers
//
// Every access to notify_me and notified, and the BH list push/take, is seq_cst, so they all
// sit in one total order S. No lost wake-up: if W2 reads notify_me == 0, then W2 precedes N1 in
// S, so W1 precedes N2 and the poller sees notified == true and does not sleep. Otherwise W2
// rings the doorbell and N3 returns. No lost work: if N5 erases a notifier's W1, that W1 precedes
// N5 in S, so the work published before it precedes N6's take of the BH list; if N5 comes first,
// `notified` stays true and the next pass does not sleep. Timers: Timer::mod notifies whenever it
// makes a new earliest deadline, so N2 either sees it or is woken by it (a stale, later deadline
// read at N2 only matters until that wake-up). notify_me is a counter because poll may nest (a BH polling its own context).
// Kicking the doorbell is not progress: poll returns false if only notify() woke it.
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include "locking/rfifo_lock.h"
#include "loop/aio_context.h"
#include "loop/bh_queue.h"
#include "loop/event_notifier.h"
#include "loop/fd_table.h"
#include "loop/timer_list.h"

namespace locklab::detail {

struct LoopCore {
    LoopCore(std::string n, ContextLocking l);

    const std::string name;           // immutable
    const ContextLocking locking;     // immutable
    EventNotifier doorbell;           // thread-safe (eventfd); rung by notify() when notify_me != 0
    std::atomic<int> notify_me{0};    // seq_cst; written by the polling thread only (see above)
    std::atomic<bool> notified{false};  // seq_cst; set by notify(), cleared by the poller
    BhQueue bhs;                      // push: any thread; take and run: the polling thread
    TimerList timers[2];              // indexed by ClockType; each has its own mutex
    FdTable fds;                      // own mutex; the epoll fd is used by the polling thread
    std::atomic<std::thread::id> home{};  // atomic: bound once by attach/first poll, read anywhere
    RFifoLock lock;                   // the context lock (ContextLocking::ContextLock only)

    void notify();
    // Home thread, before waiting: ns until something is due (0 = now, -1 = nothing scheduled).
    int64_t timeout_ns() const;
};

}  // namespace locklab::detail

namespace locklab {
struct AioContext::Impl : detail::LoopCore {
    using LoopCore::LoopCore;
};
}  // namespace locklab
