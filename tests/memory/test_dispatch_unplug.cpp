// Dispatch racing hot-unplug: vCPU-like threads hammer an address while another thread plugs and
// unplugs a fresh device there, over and over. With a safe lifetime policy no callback ever runs on
// a freed device (ASan reports it if one does; the destroyed flags catch it in other builds).
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>
#include <vector>

#include "locking/bql.h"
#include "memory/address_space.h"
#include "scoped_lifetime_policy.h"
#include "test_device.h"

using namespace locklab;
using locklab::test::ScopedLifetimePolicy;
using locklab::test::TestDevice;

TEST_CASE("Accesses racing hot-unplug never reach a freed device", "[memory][dispatch][lifetime][stress]")
{
    auto policy = GENERATE(LifetimePolicy::RefPerAccess, LifetimePolicy::SnapshotRef);
    ScopedLifetimePolicy p(policy);
    INFO("lifetime policy " << to_string(policy));

    constexpr hwaddr kAddr = 0x1000'0000;
    constexpr size_t kMaxDevices = 20000;
    std::vector<std::atomic<bool>> destroyed(kMaxDevices);  // one flag per device generation
    std::atomic<int> on_freed_device{0}, unexpected{0}, ok{0};
    std::atomic<bool> stop{false};
    AddressSpace as("test");

    std::vector<std::thread> vcpus;
    for (int i = 0; i < 2; ++i)
        vcpus.emplace_back([&, i] {
            uint64_t v = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                const MemTx t = (i % 2) ? as.write(kAddr, 4, 1, i) : as.read(kAddr, 4, v, i);
                if (t == MemTx::Ok) ok.fetch_add(1, std::memory_order_relaxed);
                else if (t != MemTx::Unassigned && t != MemTx::DeviceGone) unexpected.fetch_add(1);
            }
        });

    // For 0.3 s, and at least 20 devices however slow the machine is (TSan: a few dozen).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
    size_t plugged = 0;
    while ((std::chrono::steady_clock::now() < deadline || plugged < 20) && plugged < kMaxDevices) {
        auto dev = make_object<TestDevice>();
        dev->destroyed = &destroyed[plugged];
        dev->in_callback = [&, gen = plugged](TestDevice&) {
            if (destroyed[gen].load()) on_freed_device.fetch_add(1);
        };
        dev->realize();
        as.add_region(kAddr, dev->mmio());
        std::this_thread::yield();
        as.remove_region(dev->mmio());  // new view; the old one is reclaimed after a grace period
        {
            BqlLockGuard bql;  // the global lock model serialises unrealize with callbacks
            dev->unrealize();
        }
        dev = {};  // freed by whichever of the old view and an in-flight access lets go last
        ++plugged;
    }
    stop.store(true);
    for (auto& t : vcpus) t.join();
    rcu_barrier();

    INFO(plugged << " devices plugged, " << ok.load() << " accesses reached one");
    CHECK(ok.load() > 0);  // the race was run: accesses did reach live devices
    CHECK(on_freed_device.load() == 0);
    CHECK(unexpected.load() == 0);
    size_t leaked = 0;
    for (size_t i = 0; i < plugged; ++i) leaked += !destroyed[i].load();
    CHECK(leaked == 0);  // and every device was freed in the end
}
