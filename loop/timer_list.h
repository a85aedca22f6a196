// Internal to loop/: the timers of one context on one clock (QEMU's QEMUTimerList).
//
// Armed timers sit in a list sorted by deadline, under the list's mutex, so mod/del work from any
// thread. The polling thread takes every expired timer off the list in one go (a "batch") and then
// calls them one by one, dropping the mutex around each call; a timer re-armed or deleted by an
// earlier callback of the same batch is skipped, and a timer that re-arms itself for "now" runs
// again only in the next poll (no livelock).
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <functional>
#include <memory>
#include <mutex>

#include "loop/aio_context.h"

namespace locklab::detail {

struct LoopCore;
class TimerList;

struct TimerState : std::enable_shared_from_this<TimerState> {
    TimerState(std::shared_ptr<LoopCore> c, TimerList& l, std::function<void()> f)
        : ctx(std::move(c)), list(l), cb(std::move(f)) {}

    const std::shared_ptr<LoopCore> ctx;  // immutable; keeps `list` alive
    TimerList& list;                      // immutable
    const std::function<void()> cb;       // immutable
    int64_t expire = 0;                   // protected by list's mutex
    bool armed = false;                   // protected by list's mutex: linked in the sorted list
    bool due = false;                     // protected by list's mutex: in a batch, not yet called
    TimerState* next = nullptr;           // protected by list's mutex
};

class TimerList {
public:
    explicit TimerList(ClockType c) : clock_(c) {}
    TimerList(const TimerList&) = delete;
    TimerList& operator=(const TimerList&) = delete;

    ClockType clock() const { return clock_; }

    // Any thread. arm() returns true if t is now the earliest deadline (the caller notifies).
    bool arm(TimerState& t, int64_t expire_ns);
    void disarm(TimerState& t);
    bool pending(const TimerState& t) const;

    int64_t earliest_deadline() const;  // INT64_MAX if nothing is armed
    bool run_expired() noexcept;        // polling thread; true if a callback ran
    void close();                       // disarm everything; later arms do nothing

private:
    void unlink_locked(TimerState& t);

    void publish_earliest_locked();

    const ClockType clock_;
    mutable std::mutex m_;
    TimerState* head_ = nullptr;  // protected by m_: armed timers, earliest deadline first
    bool closed_ = false;         // protected by m_
    // head_'s deadline (INT64_MAX if none): written under m_, read without it by the poller, so a
    // pass with nothing due costs neither the mutex nor a clock read. A stale value is harmless:
    // arm() notifies the context when it changes the head, and run_expired() rechecks under m_.
    std::atomic<int64_t> earliest_{std::numeric_limits<int64_t>::max()};
};

std::unique_ptr<Timer> make_timer(std::shared_ptr<LoopCore> ctx, ClockType clock, std::function<void()> cb);

}  // namespace locklab::detail
