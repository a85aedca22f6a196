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
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace locklab {

enum class ClockType { Realtime, Virtual };

int64_t clock_ns(ClockType c);

class AioContext;

class Timer {
public:
    virtual ~Timer() = default;
    virtual void mod(int64_t expire_ns) = 0;  // (re)arm for an absolute deadline on its clock
    virtual void del() = 0;                   // disarm; the callback will not run afterwards
    virtual bool pending() const = 0;
};

class AioContext {
public:
    explicit AioContext(std::string name);
    ~AioContext();
    AioContext(const AioContext&) = delete;
    AioContext& operator=(const AioContext&) = delete;

    const std::string& name() const;

    std::unique_ptr<Timer> new_timer(ClockType clock, std::function<void()> cb);
    void set_fd_handler(int fd, std::function<void()> on_readable, std::function<void()> on_writable = {});
    void schedule_oneshot(std::function<void()> fn);

    bool poll(bool blocking);
    void notify();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace locklab
