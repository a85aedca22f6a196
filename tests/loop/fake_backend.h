// A fake block backend for drain and context-move tests: requests are submitted from any thread
// (queued, then a doorbell is rung like a guest's ioeventfd); the backend's context picks them up,
// hands them to a worker thread ("the disk"), which completes each one back in the backend's
// current context. It follows Drainable's protocol: no request starts while quiesced, and the
// doorbell handler moves with the backend via its AioContext change notifiers.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "loop/drainable.h"
#include "loop/event_notifier.h"

namespace locklab::test {

class FakeBackend : public Drainable {
public:
    explicit FakeBackend(AioContext& ctx, std::chrono::microseconds io_time = std::chrono::microseconds(200))
        : Drainable("fake-backend", ctx), io_time_(io_time), disk_([this] { disk_loop(); })
    {
        context_notifiers().add([this](AioContext& c) { attach(c); }, [this](AioContext& c) { detach(c); });
        attach(ctx);
    }
    ~FakeBackend() override
    {
        detach(aio_context());
        {
            std::lock_guard lk(m_);
            disk_stop_ = true;
        }
        disk_cv_.notify_one();
        disk_.join();
    }

    void submit(unsigned id)  // any thread
    {
        {
            std::lock_guard lk(m_);
            queued_.push_back(id);
            if (id >= completions_.size()) completions_.resize(id + 1, 0);
            ++submitted_;
        }
        doorbell_.set();
    }

    unsigned submitted() const { std::lock_guard lk(m_); return submitted_; }
    unsigned completed() const { std::lock_guard lk(m_); return completed_; }
    std::vector<int> completions() const { std::lock_guard lk(m_); return completions_; }
    unsigned completions_in(const AioContext& c) const
    {
        std::lock_guard lk(m_);
        unsigned n = 0;
        for (const AioContext* where : completed_in_) n += where == &c;
        return n;
    }
    bool all_completions_exclusive() const { std::lock_guard lk(m_); return exclusive_; }

protected:
    void on_drained_begin() override
    {
        // Removing the handler from another thread waits for a process() under way, so none is
        // between its quiesced() check and inc_in_flight afterwards (holding m_ here would deadlock
        // with that process()).
        detach(aio_context());
    }
    void on_drained_end() override
    {
        attach(aio_context());
        doorbell_.set();  // pick up what queued meanwhile
    }

private:
    void attach(AioContext& c) { c.set_event_notifier(doorbell_, [this] { process(); }); }
    void detach(AioContext& c) { c.set_event_notifier(doorbell_, {}); }

    void process()  // in the backend's context
    {
        std::lock_guard lk(m_);
        if (quiesced()) return;
        while (!queued_.empty()) {
            inc_in_flight();
            disk_queue_.push_back(queued_.front());
            queued_.pop_front();
        }
        disk_cv_.notify_one();
    }

    void complete(unsigned id)  // in the backend's context
    {
        AioContext& c = aio_context();
        {
            std::lock_guard lk(m_);
            ++completions_[id];
            ++completed_;
            completed_in_.push_back(&c);
            exclusive_ = exclusive_ && (c.locking() == ContextLocking::HomeThread ? c.in_home_thread() : c.held_by_me());
        }
        dec_in_flight();
    }

    void disk_loop()
    {
        std::unique_lock lk(m_);
        for (;;) {
            disk_cv_.wait(lk, [this] { return disk_stop_ || !disk_queue_.empty(); });
            if (disk_queue_.empty()) return;
            const unsigned id = disk_queue_.front();
            disk_queue_.pop_front();
            lk.unlock();
            std::this_thread::sleep_for(io_time_);
            // In flight, so the backend cannot move until complete() has run.
            aio_context().schedule_oneshot([this, id] { complete(id); });
            lk.lock();
        }
    }

    const std::chrono::microseconds io_time_;
    EventNotifier doorbell_;
    mutable std::mutex m_;
    std::deque<unsigned> queued_;              // protected by m_: submitted, not started
    std::deque<unsigned> disk_queue_;          // protected by m_: in flight on the "disk"
    std::vector<int> completions_;             // protected by m_: per request id
    std::vector<const AioContext*> completed_in_;  // protected by m_
    unsigned submitted_ = 0, completed_ = 0;   // protected by m_
    bool exclusive_ = true;                    // protected by m_
    bool disk_stop_ = false;                   // protected by m_
    std::condition_variable disk_cv_;
    std::thread disk_;                         // the "disk": last, started after the rest
};

}  // namespace locklab::test
