// AioContext: construction, notify() and poll() (the protocol is explained in loop_core.h).
#include "loop/aio_context.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "locking/lock_wait_policy.h"
#include "loop/bh_queue.h"
#include "loop/loop_core.h"
#include "loop/thread_scheduling.h"

namespace locklab {

namespace {
thread_local AioContext* t_current = nullptr;  // home thread only: this thread's context
constexpr int kMaxEvents = 64;
}  // namespace

namespace detail {

LoopCore::LoopCore(std::string n, ContextLocking l)
    : name(std::move(n)),
      locking(l),
      timers{TimerList(ClockType::Realtime), TimerList(ClockType::Virtual)},
      lock([this] { notify(); })
{
    fds.watch_internal(doorbell.fd());
}

void LoopCore::notify()
{
    notified.store(true);        // W1: after the work it announces
    if (notify_me.load())        // W2: is the poller (about to be) asleep?
        doorbell.set();
}

int64_t LoopCore::timeout_ns() const
{
    if (notified.load()) return 0;
    int64_t timeout = bhs.timeout_ns();
    if (timeout == 0) return 0;
    for (const TimerList& t : timers) {
        const int64_t deadline = t.earliest_deadline();
        if (deadline == std::numeric_limits<int64_t>::max()) continue;
        const int64_t left = std::max<int64_t>(0, deadline - clock_ns(t.clock()));
        timeout = timeout < 0 ? left : std::min(timeout, left);
    }
    return timeout;
}

}  // namespace detail

AioContext::AioContext(std::string name) : AioContext(std::move(name), ContextLocking::HomeThread) {}

AioContext::AioContext(std::string name, ContextLocking locking)
    : impl_(std::make_shared<Impl>(std::move(name), locking))
{
}

AioContext::~AioContext()
{
    if (t_current == this) t_current = nullptr;
    impl_->bhs.close();
    for (auto& t : impl_->timers) t.close();
    impl_->fds.clear();
}

const std::string& AioContext::name() const { return impl_->name; }

ContextLocking AioContext::locking() const { return impl_->locking; }

std::unique_ptr<Timer> AioContext::new_timer(ClockType clock, std::function<void()> cb)
{
    return detail::make_timer(impl_, clock, std::move(cb));
}

void AioContext::set_fd_handler(int fd, std::function<void()> on_readable, std::function<void()> on_writable)
{
    // No notify needed: epoll_ctl itself wakes a sleeping epoll_wait if the fd is already ready.
    impl_->fds.set(fd, std::move(on_readable), std::move(on_writable));
}

void AioContext::schedule_oneshot(std::function<void()> fn)
{
    auto* n = new BottomHalf::Node(impl_, std::move(fn), nullptr);
    if (impl_->bhs.enqueue(n, detail::kBhScheduled | detail::kBhOneshot)) impl_->notify();
}

std::unique_ptr<BottomHalf> AioContext::new_bh(std::function<void()> cb, ReentrancyGuard* guard)
{
    return std::unique_ptr<BottomHalf>(new BottomHalf(new BottomHalf::Node(impl_, std::move(cb), guard)));
}

void AioContext::set_event_notifier(EventNotifier& n, std::function<void()> cb)
{
    if (!cb) {
        set_fd_handler(n.fd(), {});
        return;
    }
    set_fd_handler(n.fd(), [&n, cb = std::move(cb)] {
        if (n.test_and_clear()) cb();
    });
}

void AioContext::notify() { impl_->notify(); }

void AioContext::attach_current_thread()
{
    impl_->home.store(std::this_thread::get_id());
    t_current = this;
    mark_this_thread_event_loop();  // its contended lock acquisitions spin before sleeping
    apply_thread_slice();           // and asks the scheduler for short slices (best effort)
}

bool AioContext::in_home_thread() const { return impl_->home.load() == std::this_thread::get_id(); }

AioContext* current_context() { return t_current; }

bool AioContext::poll(bool blocking)
{
    detail::LoopCore& c = *impl_;
    const auto self = std::this_thread::get_id();
    auto home = c.home.load();
    if (home == std::thread::id{} && c.home.compare_exchange_strong(home, self)) {
        home = self;
        if (!t_current) t_current = this;
    }
    const bool allowed = c.locking == ContextLocking::ContextLock ? c.lock.held_by_me() : home == self;
    if (!allowed)
        throw std::logic_error("AioContext '" + c.name +
                               (c.locking == ContextLocking::ContextLock
                                    ? "': poll() without holding the context lock"
                                    : "': poll() outside its home thread"));

    if (blocking) c.notify_me.fetch_add(1);                      // N1
    const int64_t timeout = blocking ? c.timeout_ns() : 0;       // N2
    epoll_event events[kMaxEvents];
    const int n = c.fds.wait(events, kMaxEvents, timeout);       // N3
    if (blocking) c.notify_me.fetch_sub(1);                      // N4
    c.notified.exchange(false);                                  // N5
    for (int i = 0; i < n; ++i)
        if (events[i].data.fd == c.doorbell.fd()) c.doorbell.test_and_clear();

    bool progress = c.bhs.run();                                 // N6: BHs, fds, timers
    progress |= c.fds.dispatch(events, n, c.doorbell.fd());
    for (auto& t : c.timers) progress |= t.run_expired();
    return progress;
}

}  // namespace locklab
