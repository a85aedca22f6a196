// BlockedCall: runs a blocking call (rcu_synchronize, rcu_barrier, bql_lock, ...) on its own thread
// so a test can check that it has *not* returned yet, release whatever blocks it, and then check that
// it has.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

namespace locklab::test {

class BlockedCall {
public:
    explicit BlockedCall(std::function<void()> call)
        : thread_([this, call = std::move(call)] {
              call();
              done_.store(true);
          })
    {
    }
    ~BlockedCall() { finish(); }
    BlockedCall(const BlockedCall&) = delete;
    BlockedCall& operator=(const BlockedCall&) = delete;

    // Whether the call returned within `grace` (long enough for an unblocked call to finish).
    bool returned_within(std::chrono::milliseconds grace = std::chrono::milliseconds(100)) const
    {
        const auto deadline = std::chrono::steady_clock::now() + grace;
        while (!done_.load() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return done_.load();
    }
    // Waits for the call to return.
    void finish()
    {
        if (thread_.joinable()) thread_.join();
    }
    bool done() const { return done_.load(); }

private:
    std::atomic<bool> done_{false};  // atomic: set by the call's thread, read by the test
    std::thread thread_;
};

}  // namespace locklab::test
