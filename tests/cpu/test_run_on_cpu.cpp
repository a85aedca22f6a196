// Cross-vCPU work (Hart::run_on_cpu): what hot-unplug relies on to make every vCPU flush its TLB
// and decoded code before it touches memory again.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "locking/rcu.h"
#include "tests/cpu/core_fixture.h"

using namespace locklab;
using namespace locklab::rv;
using namespace locklab::rv::test;

namespace {

// Runs the hart on its own thread the way Machine's vCPU loop does (WFI waits for an interrupt or a
// kick) until stopped.
class VcpuThread {
public:
    explicit VcpuThread(Hart& h) : h_(h), thread_([this] { loop(); }) {}
    ~VcpuThread()
    {
        stop_.store(true);
        h_.kick();
        thread_.join();
    }
    std::thread::id id() const { return thread_.get_id(); }

private:
    void loop()
    {
        while (!stop_.load()) {
            if (h_.run(1000) == RunExit::Wfi) h_.wait_for_interrupt();
        }
    }
    Hart& h_;
    std::atomic<bool> stop_{false};  // atomic: set by the test thread, read by the vCPU thread
    std::thread thread_;
};

constexpr auto kTimeout = std::chrono::seconds(10);

}  // namespace

TEST_CASE_METHOD(CoreFixture, "Work queued for a running hart runs on the hart's own thread",
                 "[cpu][run_on_cpu]")
{
    load(kCode, {enc::addi(5, 5, 1), enc::jal(0, -4)});  // count forever
    h.code_flush();
    VcpuThread vcpu(h);

    std::promise<std::thread::id> ran_on;
    h.run_on_cpu([&] { ran_on.set_value(std::this_thread::get_id()); });
    auto f = ran_on.get_future();
    REQUIRE(f.wait_for(kTimeout) == std::future_status::ready);
    CHECK(f.get() == vcpu.id());
}

TEST_CASE_METHOD(CoreFixture, "A hart waiting in WFI runs queued work when it is kicked awake",
                 "[cpu][run_on_cpu][wfi]")
{
    load(kCode, {enc::wfi(), enc::jal(0, -4)});  // wait forever: mie is 0, nothing wakes it
    h.code_flush();
    VcpuThread vcpu(h);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let it reach the WFI wait

    std::promise<void> ran;
    h.run_on_cpu([&] { ran.set_value(); });
    CHECK(ran.get_future().wait_for(kTimeout) == std::future_status::ready);
}

TEST_CASE_METHOD(CoreFixture, "Queued work runs in order at the next run, outside the RCU read section",
                 "[cpu][run_on_cpu]")
{
    load(kCode, {enc::jal(0, 0)});
    h.code_flush();
    std::vector<int> order;
    std::vector<bool> in_rcu;
    for (int i = 0; i < 3; ++i)
        h.run_on_cpu([&, i] {
            order.push_back(i);
            in_rcu.push_back(rcu_read_locked());
        });
    CHECK(order.empty());  // queued, not run by the caller
    CHECK(h.run(10) == RunExit::ExitRequest);  // the kick still ends this run early
    CHECK(order == std::vector<int>{0, 1, 2});
    CHECK(in_rcu == std::vector<bool>{false, false, false});

    h.run(10);
    CHECK(order.size() == 3);  // each item runs once
}

TEST_CASE_METHOD(CoreFixture, "Work queued by queued work runs at the following drain, not in a loop",
                 "[cpu][run_on_cpu]")
{
    int runs = 0;
    std::function<void()> requeue = [&] {
        ++runs;
        h.run_on_cpu(requeue);
    };
    h.run_on_cpu(requeue);
    h.process_queued_work();
    CHECK(runs == 1);
    h.process_queued_work();
    CHECK(runs == 2);
}
