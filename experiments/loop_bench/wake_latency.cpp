#include "wake_latency.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "loop/aio_context.h"

namespace locklab::bench {

namespace {
int64_t now_ns()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// The waker's side of every measurement: stamp, wake, wait until the sleeper has stamped too.
// `woken_at` is written by the sleeper (0 = not yet).
template <class Wake>
LatencySamples drive(const WakeConfig& cfg, std::atomic<int64_t>& woken_at, Wake wake)
{
    LatencySamples h;
    for (int i = 0; i < cfg.samples; ++i) {
        std::this_thread::sleep_for(cfg.gap);
        woken_at.store(0);
        const int64_t t0 = now_ns();
        wake();
        int64_t t1;
        while ((t1 = woken_at.load()) == 0) std::this_thread::yield();
        h.add(t1 - t0);
    }
    return h;
}
}  // namespace

LatencySamples raw_eventfd_epoll(const WakeConfig& cfg)
{
    const int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    const int ep = epoll_create1(EPOLL_CLOEXEC);
    if (efd < 0 || ep < 0) throw std::runtime_error("eventfd/epoll_create1 failed");
    epoll_event ev{};
    ev.events = EPOLLIN;
    epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);

    std::atomic<int64_t> woken_at{0};
    std::atomic<bool> stop{false};
    std::thread sleeper([&] {
        epoll_event out;
        while (!stop) {
            if (epoll_wait(ep, &out, 1, -1) != 1) continue;
            const int64_t t = now_ns();
            uint64_t v;
            if (read(efd, &v, sizeof v) == sizeof v) woken_at.store(t);
        }
    });
    const uint64_t one = 1;
    auto h = drive(cfg, woken_at, [&] { (void)!write(efd, &one, sizeof one); });
    stop = true;
    (void)!write(efd, &one, sizeof one);
    sleeper.join();
    close(ep);
    close(efd);
    return h;
}

LatencySamples aio_notify_wakeup(const WakeConfig& cfg)
{
    AioContext ctx("bench-notify");
    std::atomic<int64_t> woken_at{0};
    std::atomic<bool> stop{false};
    std::thread sleeper([&] {
        ctx.attach_current_thread();
        while (!stop) {
            ctx.poll(true);
            woken_at.store(now_ns());
        }
    });
    auto h = drive(cfg, woken_at, [&] { ctx.notify(); });
    stop = true;
    ctx.notify();
    sleeper.join();
    return h;
}

LatencySamples bh_schedule_to_run(const WakeConfig& cfg)
{
    AioContext ctx("bench-bh");
    std::atomic<int64_t> woken_at{0};
    std::atomic<bool> stop{false};
    auto bh = ctx.new_bh([&] { woken_at.store(now_ns()); });
    std::thread sleeper([&] {
        ctx.attach_current_thread();
        while (!stop) ctx.poll(true);
    });
    auto h = drive(cfg, woken_at, [&] { bh->schedule(); });
    stop = true;
    ctx.notify();
    sleeper.join();
    return h;
}

}  // namespace locklab::bench
