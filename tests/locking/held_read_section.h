// HeldReadSection: a reader thread that enters an RCU read section, runs `inside` there (e.g. loads
// an RCU-protected pointer), and stays in the section until the test calls leave(); just before
// leaving it runs `before_leaving` (e.g. uses the pointer it loaded). Lets a test hold a grace
// period open for exactly as long as it wants.
#pragma once

#include <functional>
#include <future>
#include <thread>

#include "locking/rcu.h"

namespace locklab::test {

class HeldReadSection {
public:
    explicit HeldReadSection(std::function<void()> inside = {}, std::function<void()> before_leaving = {})
    {
        std::promise<void> entered;
        auto entered_f = entered.get_future();
        thread_ = std::thread([entered = std::move(entered), leave = leave_.get_future(),
                               inside = std::move(inside),
                               before_leaving = std::move(before_leaving)]() mutable {
            RcuReadGuard rcu;
            if (inside) inside();
            entered.set_value();
            leave.wait();
            if (before_leaving) before_leaving();
        });
        entered_f.wait();
    }
    ~HeldReadSection() { leave(); }
    HeldReadSection(const HeldReadSection&) = delete;
    HeldReadSection& operator=(const HeldReadSection&) = delete;

    // Lets the reader run `before_leaving` and leave its section; returns once the thread is gone.
    void leave()
    {
        if (!thread_.joinable()) return;
        leave_.set_value();
        thread_.join();
    }

private:
    std::promise<void> leave_;
    std::thread thread_;
};

}  // namespace locklab::test
