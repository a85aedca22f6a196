// HartReaderKick (system/vcpu_flush.h): while it exists, a grace period kicks the harts, so a vCPU
// thread inside run()'s read section leaves it at its next exit-request check.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "locking/rcu.h"
#include "memory/address_space.h"
#include "system/vcpu_flush.h"

using namespace locklab;

TEST_CASE("A grace period kicks the harts out of their read sections while a HartReaderKick exists",
          "[system][hotplug][vcpu_flush]")
{
    AddressSpace as("test");
    std::vector<std::unique_ptr<rv::Hart>> harts;
    harts.push_back(std::make_unique<rv::Hart>(0, as));
    rv::Hart& h = *harts[0];
    std::atomic<bool> inside{false}, stop{false};
    std::atomic<int> kicked_out{0}, timed_out{0};
    // Stands in for the vCPU thread: one read section per run(), left at an exit request (or after
    // 10 s, so a missing kick fails the test instead of hanging it).
    std::thread vcpu([&] {
        while (!stop) {
            RcuReadGuard run;
            inside = true;
            const auto start = std::chrono::steady_clock::now();
            while (!h.exit_request.exchange(false)) {
                if (std::chrono::steady_clock::now() - start > std::chrono::seconds(10)) {
                    ++timed_out;
                    break;
                }
                std::this_thread::yield();
            }
            if (!stop) ++kicked_out;
        }
    });
    while (!inside) std::this_thread::yield();
    {
        HartReaderKick kick(harts);
        rcu_synchronize();
    }
    CHECK(kicked_out >= 1);
    CHECK(timed_out == 0);
    stop = true;
    h.kick();
    vcpu.join();
}
