// Internal to loop/: the fd handlers of one context on an epoll instance (QEMU's aio_handlers with
// fdmon-epoll). Handlers are immutable objects behind shared_ptr: replacing or removing one (from
// any thread, or from inside a handler) never frees a handler that is running.
#pragma once

#include <sys/epoll.h>

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

    // Any thread. Both empty: remove. Throws std::system_error if epoll refuses the fd.
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
    };
    std::shared_ptr<const Handler> find(int fd) const;

    const int epfd_;  // immutable; epoll_ctl and epoll_wait are thread-safe on it
    mutable std::mutex m_;
    std::unordered_map<int, std::shared_ptr<const Handler>> handlers_;  // protected by m_
};

}  // namespace locklab::detail
