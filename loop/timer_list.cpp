#include "loop/timer_list.h"

#include <vector>

#include "loop/loop_core.h"

namespace locklab::detail {

void TimerList::publish_earliest_locked()
{
    earliest_.store(head_ ? head_->expire : std::numeric_limits<int64_t>::max(), std::memory_order_relaxed);
}

void TimerList::unlink_locked(TimerState& t)
{
    t.due = false;
    if (!t.armed) return;
    for (TimerState** p = &head_; *p; p = &(*p)->next) {
        if (*p == &t) {
            *p = t.next;
            break;
        }
    }
    t.next = nullptr;
    t.armed = false;
    publish_earliest_locked();
}

bool TimerList::arm(TimerState& t, int64_t expire_ns)
{
    std::lock_guard lk(m_);
    if (closed_) return false;
    unlink_locked(t);
    TimerState** p = &head_;
    while (*p && (*p)->expire <= expire_ns) p = &(*p)->next;
    t.expire = expire_ns;
    t.next = *p;
    t.armed = true;
    *p = &t;
    publish_earliest_locked();
    return head_ == &t;
}

void TimerList::disarm(TimerState& t)
{
    std::lock_guard lk(m_);
    unlink_locked(t);
}

bool TimerList::pending(const TimerState& t) const
{
    std::lock_guard lk(m_);
    return t.armed || t.due;
}

int64_t TimerList::earliest_deadline() const { return earliest_.load(std::memory_order_relaxed); }

bool TimerList::run_expired() noexcept
{
    if (earliest_.load(std::memory_order_relaxed) == std::numeric_limits<int64_t>::max()) return false;
    std::vector<std::shared_ptr<TimerState>> batch;
    {
        const int64_t now = clock_ns(clock_);
        std::lock_guard lk(m_);
        while (head_ && head_->expire <= now) {
            TimerState* t = head_;
            head_ = t->next;
            t->next = nullptr;
            t->armed = false;
            t->due = true;
            batch.push_back(t->shared_from_this());  // its Timer's reference is alive: it was armed
        }
        publish_earliest_locked();
    }
    bool ran = false;
    for (const auto& t : batch) {
        {
            std::lock_guard lk(m_);
            if (!t->due) continue;  // deleted or re-armed by an earlier callback
            t->due = false;
        }
        t->cb();
        ran = true;
    }
    return ran;
}

void TimerList::close()
{
    std::lock_guard lk(m_);
    closed_ = true;
    while (head_) unlink_locked(*head_);
}

namespace {

class TimerImpl final : public Timer {
public:
    explicit TimerImpl(std::shared_ptr<TimerState> s) : s_(std::move(s)) {}
    ~TimerImpl() override { s_->list.disarm(*s_); }

    void mod(int64_t expire_ns) override
    {
        if (s_->list.arm(*s_, expire_ns)) s_->ctx->notify();
    }
    void del() override { s_->list.disarm(*s_); }
    bool pending() const override { return s_->list.pending(*s_); }

private:
    const std::shared_ptr<TimerState> s_;  // shared with a batch that is about to call it
};

}  // namespace

std::unique_ptr<Timer> make_timer(std::shared_ptr<LoopCore> ctx, ClockType clock, std::function<void()> cb)
{
    TimerList& list = ctx->timers[static_cast<int>(clock)];
    return std::make_unique<TimerImpl>(std::make_shared<TimerState>(std::move(ctx), list, std::move(cb)));
}

}  // namespace locklab::detail
