// HotplugManager (system/hotplug.h): device_add and device_del against a real address space, AioContext
// and hot-plug controller; the removal protocol's order; and the guarantee that no access started
// after the eject completes reaches the device while accesses in flight fail cleanly.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <latch>
#include <thread>

#include "devices/hotplug_controller.h"
#include "devices/mmio_scratch.h"
#include "devices/virt_memmap.h"
#include "locking/lock_model.h"
#include "system/hotplug.h"
#include "tests/devices/device_fixture.h"
#include "tests/devices/scratch_quarantine.h"
#include "tests/memory/scoped_lifetime_policy.h"

using namespace locklab;
using namespace locklab::test;
using HC = HotplugController;
using namespace std::chrono_literals;

namespace {

constexpr hwaddr kSlot0 = virt::kResearchBase;  // research slot 0 (controller slot 8)

struct HotplugFixture {
    AddressSpace as{"test"};
    AioContext ctx{"hotplug-test"};
    FakeIrqSink irq;
    Mapped<HC> hc{as, virt::kHotplugBase, make_object<HC>(virt::kHotplugSize, IrqLine(&irq, 0))};
    // How the manager's vCPU flush behaves: at once unless a test defers it.
    std::function<void(std::function<void()>)> flush = [](std::function<void()> done) { done(); };
    std::unique_ptr<HotplugManager> mgr;

    HotplugFixture()
    {
        ctx.attach_current_thread();
        mgr = std::make_unique<HotplugManager>(as, ctx, &*hc, [this](std::function<void()> done) { flush(std::move(done)); });
    }
    std::string add(const char* spec, bool notify = true) { return mgr->device_add(parse_device_spec(spec), notify); }
    MemTx read(hwaddr addr, uint64_t& v) { return as.read(addr, 8, v); }
    void guest_eject(unsigned slot)
    {
        write_reg(as, virt::kHotplugBase + HC::kSlotBase + HC::kSlotStride * slot + HC::kCommand, 4, HC::kCommandEject);
    }
    MmioScratch& scratch(const char* id) { return static_cast<MmioScratch&>(*mgr->find(id)); }
};

// Records one device_del completion.
struct Completion {
    bool done = false;
    DeviceDelResult result;
    bool device_was_realized = true;
    uint64_t accesses = 0;
    uint64_t async_done = 0;
    size_t quarantined = 0;  // freed mmio-scratch instances when the removal completed
    HotplugManager::DelDone callback()
    {
        return [this](const DeviceDelResult& r) {
            done = true;
            result = r;
            device_was_realized = r.device->realized();
            accesses = static_cast<MmioScratch*>(r.device)->access_count();
            async_done = static_cast<MmioScratch*>(r.device)->async_done();
            quarantined = MmioScratch::quarantined();
            result.device = nullptr;  // valid during the callback only
        };
    }
};

// A lock model that stops every thread but the test's own at step 5 of the dispatch path (after
// the lookup and the pin) until the test opens the gate; then it behaves as `global`.
class GateLockModel final : public LockModel {
public:
    std::string_view name() const override { return "test-gate"; }
    LockHold enter(LockDomain& d) override
    {
        if (std::this_thread::get_id() != test_thread_) {
            reached.count_down();
            gate.wait();
        }
        return global_.enter(d);
    }
    std::latch reached{1};
    std::latch gate{1};

private:
    const std::thread::id test_thread_ = std::this_thread::get_id();
    GlobalLockModel global_;
};

class ScopedGateLockModel {
public:
    ScopedGateLockModel()
    {
        auto m = std::make_unique<GateLockModel>();
        model = m.get();
        set_lock_model(std::move(m));
    }
    ~ScopedGateLockModel() { set_lock_model(make_lock_model("global")); }
    // Starts a read of `addr` on a vCPU-like thread and returns once the read is stopped at the
    // gate: looked up and pinned, its lock not taken yet. `result` is set when it finishes.
    std::thread stopped_read(AddressSpace& as, hwaddr addr, MemTx& result)
    {
        std::thread t([&as, addr, &result] {
            uint64_t v = 0;
            result = as.read(addr, 8, v);
        });
        model->reached.wait();
        return t;
    }
    GateLockModel* model;
};

}  // namespace

TEST_CASE_METHOD(HotplugFixture, "device_add maps a realized device into a research slot and tells the guest",
                 "[system][hotplug]")
{
    CHECK(add("mmio-scratch,id=s0,cost=100") == "s0");
    uint64_t v = 0;
    REQUIRE(read(kSlot0 + MmioScratch::kMagicReg, v) == MemTx::Ok);
    CHECK(v == MmioScratch::kMagic);
    CHECK(scratch("s0").realized());
    CHECK(scratch("s0").cost_ns() == 100);
    CHECK(scratch("s0").id() == "s0");
    CHECK(hc->slot_status(8) == HC::kPresent);
    CHECK(hc->event_status() == 1u << 8);
    CHECK(irq.level(0));

    CHECK(add("mmio-scratch") == "mmio-scratch.0");  // next free slot, generated id
    CHECK(read(kSlot0 + 0x1000 + MmioScratch::kMagicReg, v) == MemTx::Ok);
    CHECK(add("mmio-scratch,id=far,slot=15", false) == "far");  // cold-plug: no event
    CHECK(read(kSlot0 + 15 * 0x1000 + MmioScratch::kMagicReg, v) == MemTx::Ok);
    CHECK(hc->slot_status(23) == HC::kPresent);
    CHECK(hc->event_status() == (1u << 8 | 1u << 9));
    CHECK(mgr->device_ids() == std::vector<std::string>{"far", "mmio-scratch.0", "s0"});
}

TEST_CASE_METHOD(HotplugFixture, "device_add refuses bad requests and changes nothing", "[system][hotplug]")
{
    add("mmio-scratch,id=s0");
    CHECK_THROWS_WITH(add("virtio-blk,id=v"), Catch::Contains("cannot be plugged (available: mmio-scratch)"));
    CHECK_THROWS_WITH(add("mmio-scratch,id=s0"), Catch::Contains("already in use"));
    CHECK_THROWS_WITH(add("mmio-scratch,id=a/b"), Catch::Contains("id 'a/b'"));
    CHECK_THROWS_WITH(add("mmio-scratch,id=x,colour=red"), Catch::Contains("unknown property 'colour'"));
    CHECK_THROWS_WITH(add("mmio-scratch,id=x,cost=fast"), Catch::Contains("not a number"));
    CHECK_THROWS_WITH(add("mmio-scratch,id=x,slot=16"), Catch::Contains("research slots are 0..15"));
    CHECK_THROWS_WITH(add("mmio-scratch,id=x,slot=0"), Catch::Contains("slot 0 is occupied"));
    CHECK(mgr->device_ids() == std::vector<std::string>{"s0"});
    uint64_t v = 0;
    CHECK(read(kSlot0 + 0x1000, v) == MemTx::Unassigned);

    for (int i = 1; i < 16; ++i) add("mmio-scratch");
    CHECK_THROWS_WITH(add("mmio-scratch,id=x"), Catch::Contains("all 16 research slots are occupied"));
    CHECK(mgr->device_ids().size() == 16);
}

TEST_CASE_METHOD(HotplugFixture, "A surprise device_del unmaps, unrealizes and then frees the device",
                 "[system][hotplug]")
{
    ScratchQuarantine q;
    add("mmio-scratch,id=s0");
    write_reg(as, kSlot0 + MmioScratch::kData0, 8, 5);
    hc->reset();  // forget the arrival event
    Completion c;
    mgr->device_del("s0", true, c.callback());
    CHECK_FALSE(c.done);  // completes in the main loop, not in device_del
    REQUIRE(poll_until(ctx, [&] { return c.done; }));
    CHECK(c.result.id == "s0");
    CHECK(c.result.surprise);
    CHECK_FALSE(c.device_was_realized);
    CHECK(c.result.removal <= c.result.total);
    CHECK(mgr->device_ids().empty());
    CHECK(mgr->removals_pending() == 0);

    // No access that starts after the eject completed reaches the device.
    uint64_t v = 0;
    CHECK(read(kSlot0 + MmioScratch::kMagicReg, v) == MemTx::Unassigned);
    CHECK(hc->slot_status(8) == 0);
    CHECK(hc->event_status() == 1u << 8);  // the guest is told it is gone

    CHECK(c.quarantined == 0);  // not freed with the removal...
    rcu_barrier();
    CHECK(MmioScratch::quarantined() == 1);  // ...but after a grace period
    CHECK(unplug_audit::counts().freed == 0);
}

TEST_CASE_METHOD(HotplugFixture, "device_del without surprise waits for the guest to quiesce and write EJECT",
                 "[system][hotplug]")
{
    add("mmio-scratch,id=s0", false);
    Completion c;
    mgr->device_del("s0", false, c.callback());
    CHECK(hc->slot_status(8) == (HC::kPresent | HC::kEjectRequest));
    CHECK(hc->event_status() == 1u << 8);
    CHECK(irq.level(0));
    CHECK_FALSE(poll_until(ctx, [&] { return c.done; }, 50ms));  // the guest has not ejected
    uint64_t v = 0;
    CHECK(read(kSlot0 + MmioScratch::kMagicReg, v) == MemTx::Ok);  // still there, still usable
    CHECK(mgr->removals_pending() == 1);

    guest_eject(8);
    REQUIRE(poll_until(ctx, [&] { return c.done; }));
    CHECK_FALSE(c.result.surprise);
    CHECK_FALSE(c.device_was_realized);
    CHECK(read(kSlot0 + MmioScratch::kMagicReg, v) == MemTx::Unassigned);
    CHECK(hc->slot_status(8) == 0);
    guest_eject(8);  // a second EJECT finds nothing to do
    poll_ready(ctx);
}

TEST_CASE_METHOD(HotplugFixture, "The removal asks every vCPU to flush but completes without waiting for them",
                 "[system][hotplug]")
{
    // A stale TLB entry of a vCPU that has not flushed yet holds a guest-physical address, which the
    // next access looks up in the current view: it cannot reach the device (system/hotplug.h, 2.).
    std::function<void()> flushed;
    flush = [&](std::function<void()> done) { flushed = std::move(done); };
    add("mmio-scratch,id=s0");
    Completion c;
    mgr->device_del("s0", true, c.callback());
    uint64_t v = 0;
    CHECK(read(kSlot0, v) == MemTx::Unassigned);  // step 1: unmapped at once
    REQUIRE(flushed);                               // step 2: asked for
    REQUIRE(poll_until(ctx, [&] { return c.done; }));
    CHECK_FALSE(c.device_was_realized);
    CHECK(read(kSlot0, v) == MemTx::Unassigned);
    flushed();  // the vCPUs flushing afterwards is harmless
    poll_ready(ctx);
    CHECK(mgr->removals_pending() == 0);
}

TEST_CASE_METHOD(HotplugFixture, "The device's asynchronous work is drained before it is unrealized",
                 "[system][hotplug][async]")
{
    ManualVirtualClock clock;
    add("mmio-scratch,id=s0,cost=1000");
    for (int i = 0; i < 3; ++i) write_reg(as, kSlot0 + MmioScratch::kDoorbell, 8, 1);
    std::thread backend_time([&] {  // the completions come due only after the removal has started
        std::this_thread::sleep_for(50ms);
        clock.advance(1000);
        ctx.notify();
    });
    Completion c;
    mgr->device_del("s0", true, c.callback());
    REQUIRE(poll_until(ctx, [&] { return c.done; }));
    backend_time.join();
    CHECK(c.async_done == 3);  // all ran before the unrealize, none was dropped
    CHECK_FALSE(c.device_was_realized);
}

TEST_CASE_METHOD(HotplugFixture, "device_del refuses unknown ids and a second handshake; a surprise overrides one",
                 "[system][hotplug]")
{
    CHECK_THROWS_WITH(mgr->device_del("nope", true), Catch::Contains("no device 'nope'"));
    add("mmio-scratch,id=s0");
    Completion first, second;
    mgr->device_del("s0", false, first.callback());
    CHECK_THROWS_WITH(mgr->device_del("s0", false), Catch::Contains("already waits for the guest"));
    mgr->device_del("s0", true, second.callback());  // the guest never answers: force it
    REQUIRE(poll_until(ctx, [&] { return first.done && second.done; }));
    CHECK(second.result.surprise);
    CHECK(mgr->device_ids().empty());
}

TEST_CASE_METHOD(HotplugFixture, "An access in flight under ref-per-access fails with DeviceGone and keeps the device alive",
                 "[system][hotplug][lifetime]")
{
    ScratchQuarantine q;
    ScopedLifetimePolicy policy(LifetimePolicy::RefPerAccess);
    ScopedGateLockModel gate;
    add("mmio-scratch,id=s0");

    MemTx in_flight = MemTx::Ok;
    std::thread vcpu = gate.stopped_read(as, kSlot0 + MmioScratch::kData0, in_flight);  // holds a reference

    Completion c;
    mgr->device_del("s0", true, c.callback());
    REQUIRE(poll_until(ctx, [&] { return c.done; }));  // the eject completes under the access's feet
    rcu_barrier();
    CHECK(MmioScratch::quarantined() == 0);  // the access's reference keeps it allocated

    gate.model->gate.count_down();
    vcpu.join();
    CHECK(in_flight == MemTx::DeviceGone);  // failed cleanly by the unrealized device
    CHECK(c.accesses == 0);                 // the callback never ran
    CHECK(MmioScratch::quarantined() == 1);  // freed when the access let go
    CHECK(unplug_audit::counts().freed == 0);
    CHECK(unplug_audit::counts().stale == 0);
}

TEST_CASE_METHOD(HotplugFixture,
                 "Under snapshot-ref the eject completes under an access in flight, which fails cleanly; "
                 "the reader's view keeps the device allocated",
                 "[system][hotplug][lifetime]")
{
    ScratchQuarantine q;
    ScopedLifetimePolicy policy(LifetimePolicy::SnapshotRef);
    ScopedGateLockModel gate;
    add("mmio-scratch,id=s0");

    MemTx in_flight = MemTx::Ok;
    std::thread vcpu = gate.stopped_read(as, kSlot0 + MmioScratch::kData0, in_flight);  // inside its read section

    Completion c;
    mgr->device_del("s0", true, c.callback());
    REQUIRE(poll_until(ctx, [&] { return c.done; }));  // no grace period waited for
    CHECK_FALSE(c.device_was_realized);
    std::atomic<bool> barrier_done{false};
    std::thread reclaim([&] {
        rcu_barrier();  // the release (7.) waits for a grace period, hence for the stopped reader
        barrier_done = true;
    });
    std::this_thread::sleep_for(50ms);
    CHECK_FALSE(barrier_done);
    CHECK(MmioScratch::quarantined() == 0);  // still allocated: the reader's old view lists it

    gate.model->gate.count_down();
    vcpu.join();
    reclaim.join();
    CHECK(in_flight == MemTx::DeviceGone);  // it met the unrealized device after the lock
    CHECK(c.accesses == 0);                 // the callback never ran
    CHECK(MmioScratch::quarantined() == 1);  // freed once the reader left its section
    CHECK(unplug_audit::counts().freed == 0);
    CHECK(unplug_audit::counts().stale == 0);
}

TEST_CASE_METHOD(HotplugFixture, "Destroying the manager removes and frees every device still plugged",
                 "[system][hotplug]")
{
    ScratchQuarantine q;
    add("mmio-scratch,id=a");
    add("mmio-scratch,id=b");
    mgr->device_del("b", false);  // eject requested, never answered
    mgr.reset();
    uint64_t v = 0;
    CHECK(read(kSlot0, v) == MemTx::Unassigned);
    CHECK(read(kSlot0 + 0x1000, v) == MemTx::Unassigned);
    CHECK(hc->slot_status(8) == 0);
    CHECK(hc->slot_status(9) == 0);
    rcu_barrier();
    CHECK(MmioScratch::quarantined() == 2);
}
