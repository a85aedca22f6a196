// Helpers for the lock-model tests: ListExecutor, an AsyncExecutor whose posted work waits in a list
// until the test runs it, and HeldByThread, a thread that holds a lock (through a model's enter(),
// like a vCPU inside an MMIO handler) until the test lets it go.
#pragma once

#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "locking/lock_model.h"

namespace locklab::test {

class ListExecutor {
public:
    AsyncExecutor executor()
    {
        return {[](void* self, AsyncWork w) { static_cast<ListExecutor*>(self)->push(std::move(w)); }, this};
    }
    size_t pending() const
    {
        std::lock_guard lk(m_);
        return posted_.size();
    }
    // Runs everything posted so far, and what that posts in turn; returns how many ran.
    size_t run_all()
    {
        size_t n = 0;
        for (;;) {
            std::vector<AsyncWork> batch;
            {
                std::lock_guard lk(m_);
                batch.swap(posted_);
            }
            if (batch.empty()) return n;
            for (auto& w : batch) w();
            n += batch.size();
        }
    }

private:
    void push(AsyncWork w)
    {
        std::lock_guard lk(m_);
        posted_.push_back(std::move(w));
    }

    mutable std::mutex m_;            // protects posted_
    std::vector<AsyncWork> posted_;   // protected by m_
};

// A thread that takes `model.enter(d)` and holds it until release() (or destruction). The
// constructor returns once the hold is taken.
class HeldByThread {
public:
    HeldByThread(LockModel& model, LockDomain& d)
    {
        std::promise<void> held;
        auto held_f = held.get_future();
        thread_ = std::thread([&model, &d, held = std::move(held), go = release_.get_future()]() mutable {
            LockHold hold = model.enter(d);
            held.set_value();
            go.wait();
        });
        id_ = thread_.get_id();
        held_f.wait();
    }
    ~HeldByThread() { release(); }
    HeldByThread(const HeldByThread&) = delete;
    HeldByThread& operator=(const HeldByThread&) = delete;

    // Lets the thread release its hold (running whatever the release runs) and waits for it.
    void release()
    {
        if (!thread_.joinable()) return;
        release_.set_value();
        thread_.join();
    }
    std::thread::id id() const { return id_; }

private:
    std::promise<void> release_;
    std::thread thread_;
    std::thread::id id_;
};

}  // namespace locklab::test
