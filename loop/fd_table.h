// Internal to loop/: the fd handlers of one context on an epoll instance (QEMU's aio_handlers with
// fdmon-epoll). Handlers are immutable objects behind shared_ptr: replacing or removing one (from
// any thread, or from inside a handler) never frees a handler that is running. Replacing or
// removing one from a thread that is not dispatching this table also waits until a call of the
// old handler that is under way returns, so what the handler uses (its fd, the object it captured)
// may be destroyed right after set() returns. The polling thread itself (a handler removing itself
// or another) does not wait: the calls under way are on its own stack.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace locklab::detail {

class FdTable {
public:
    FdTable();  // throws std::system_error if no epoll instance can be created
    ~FdTable();
    FdTable(const FdTable&) = delete;
    FdTable& operator=(const FdTable&) = delete;

    // Any thread. Both empty: remove. Throws std::system_error if epoll refuses the fd. Must not be
    // called holding a lock the old handler takes (it may wait for that handler to return).
    void set(int fd, std::function<void()> on_readable, std::function<void()> on_writable);
    // An fd watched for readability without a handler (the context's doorbell).
    void watch_internal(int fd);

    // Polling thread: wait up to timeout_ns (-1: forever) and fill `events`; returns their number.
    int wait(epoll_event* events, int max, int64_t timeout_ns);
    // Polling thread: call the handlers of the ready fds (skipping `skip_fd`); true if one ran.
    bool dispatch(const epoll_event* events, int n, int skip_fd) noexcept;

    void clear();  // remove every handler (~AioContext)

private:
    struct Handler {
        std::function<void()> on_readable;
        std::function<void()> on_writable;
        // Calls under way (nested polls may stack them): raised under m_ when the polling thread
        // picks the handler, lowered (release, then notify) when the call returns.
        mutable std::atomic<int> calls{0};
    };
    // Polling thread: the handler of fd with one call claimed (null if none), and its release.
    std::shared_ptr<const Handler> claim(int fd) const;
    static void unclaim(const Handler& h) noexcept;
    void wait_for_calls(const std::shared_ptr<const Handler>& old) const;

    const int epfd_;  // immutable; epoll_ctl and epoll_wait are thread-safe on it
    mutable std::mutex m_;
    std::unordered_map<int, std::shared_ptr<const Handler>> handlers_;  // protected by m_
};

}  // namespace locklab::detail
