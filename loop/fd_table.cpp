#include "loop/fd_table.h"

#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <string>
#include <system_error>

namespace locklab::detail {

namespace {
// The table whose handlers this thread is calling (innermost, for nested polls).
thread_local const FdTable* t_dispatching = nullptr;

int open_epoll()
{
    int fd = epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    return fd;
}

void epoll_update(int epfd, int fd, uint32_t events)
{
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) == 0) return;
    if (errno == ENOENT && epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0) return;
    throw std::system_error(errno, std::generic_category(),
                            "AioContext fd handler: epoll_ctl(fd " + std::to_string(fd) + ")");
}
}  // namespace

FdTable::FdTable() : epfd_(open_epoll()) {}

FdTable::~FdTable() { ::close(epfd_); }

void FdTable::set(int fd, std::function<void()> on_readable, std::function<void()> on_writable)
{
    std::shared_ptr<const Handler> old;
    {
        std::lock_guard lk(m_);
        auto it = handlers_.find(fd);
        if (it != handlers_.end()) old = std::move(it->second);
        if (!on_readable && !on_writable) {
            if (it != handlers_.end()) {
                handlers_.erase(it);
                epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);  // EBADF if closed: fine
            }
        } else {
            const uint32_t events = (on_readable ? EPOLLIN : 0u) | (on_writable ? EPOLLOUT : 0u);
            epoll_update(epfd_, fd, events);
            auto h = std::make_shared<Handler>();
            h->on_readable = std::move(on_readable);
            h->on_writable = std::move(on_writable);
            handlers_[fd] = std::move(h);
        }
    }
    wait_for_calls(old);
}

void FdTable::wait_for_calls(const std::shared_ptr<const Handler>& old) const
{
    if (!old || t_dispatching == this) return;
    // A claim raised `calls` under m_ before set() took the handler out of the map, so a call
    // that could still start on `old` is counted here already.
    for (int n; (n = old->calls.load(std::memory_order_acquire)) != 0;) old->calls.wait(n, std::memory_order_acquire);
}

void FdTable::watch_internal(int fd) { epoll_update(epfd_, fd, EPOLLIN); }

int FdTable::wait(epoll_event* events, int max, int64_t timeout_ns)
{
    timespec ts{};
    if (timeout_ns >= 0) {
        ts.tv_sec = timeout_ns / 1'000'000'000;
        ts.tv_nsec = timeout_ns % 1'000'000'000;
    }
    int n = epoll_pwait2(epfd_, events, max, timeout_ns >= 0 ? &ts : nullptr, nullptr);
    if (n < 0 && errno == ENOSYS) {  // kernels before 5.11: millisecond resolution, rounded up
        const int ms = timeout_ns < 0 ? -1 : int((timeout_ns + 999'999) / 1'000'000);
        n = epoll_wait(epfd_, events, max, ms);
    }
    return n < 0 ? 0 : n;  // EINTR: an empty pass
}

std::shared_ptr<const FdTable::Handler> FdTable::claim(int fd) const
{
    std::lock_guard lk(m_);
    auto it = handlers_.find(fd);
    if (it == handlers_.end()) return nullptr;
    it->second->calls.fetch_add(1, std::memory_order_relaxed);  // ordered for set() by m_
    return it->second;
}

void FdTable::unclaim(const Handler& h) noexcept
{
    h.calls.fetch_sub(1, std::memory_order_release);
    h.calls.notify_all();
}

bool FdTable::dispatch(const epoll_event* events, int n, int skip_fd) noexcept
{
    bool progress = false;
    const FdTable* const outer = t_dispatching;
    t_dispatching = this;
    for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == skip_fd) continue;
        const uint32_t ev = events[i].events;
        const bool error = ev & (EPOLLERR | EPOLLHUP);
        auto h = claim(fd);  // looked up now: a handler removed by an earlier one is not called
        if (h && h->on_readable && (ev & EPOLLIN || error)) {
            h->on_readable();
            progress = true;
            unclaim(*h);
            h = claim(fd);  // the reader may have removed or replaced the handler
        }
        if (h && h->on_writable && (ev & EPOLLOUT || (error && !h->on_readable))) {
            h->on_writable();
            progress = true;
        }
        if (h) unclaim(*h);
    }
    t_dispatching = outer;
    return progress;
}

void FdTable::clear()
{
    std::lock_guard lk(m_);
    for (const auto& [fd, h] : handlers_) epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
    handlers_.clear();
}

}  // namespace locklab::detail
