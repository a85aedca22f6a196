// mmio-scratch (devices/mmio_scratch.h): its registers through the address space, the handler cost,
// and the hot-unplug audit it carries (stale accesses, the quarantine of freed instances).
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "devices/mmio_scratch.h"
#include "devices/unplug_audit.h"
#include "loop/drainable.h"
#include "tests/devices/device_fixture.h"
#include "tests/devices/scratch_quarantine.h"

using namespace locklab;
using namespace locklab::test;

namespace {
constexpr hwaddr kBase = 0x1100'0000;
}  // namespace

TEST_CASE("mmio-scratch identifies itself and numbers its instances in creation order",
          "[devices][mmio_scratch]")
{
    AddressSpace as("test");
    Mapped<MmioScratch> a(as, kBase, make_object<MmioScratch>());
    Mapped<MmioScratch> b(as, kBase + 0x1000, make_object<MmioScratch>());
    CHECK(read_reg(as, kBase + MmioScratch::kMagicReg, 8) == MmioScratch::kMagic);
    CHECK(read_reg(as, kBase + MmioScratch::kMagicReg, 4) == MmioScratch::kMagic);
    CHECK(read_reg(as, kBase + MmioScratch::kMagicReg + 4, 4) == 0);
    const uint64_t ga = read_reg(as, kBase + MmioScratch::kGeneration, 8);
    CHECK(ga == a->generation());
    CHECK(ga > 0);
    CHECK(read_reg(as, kBase + 0x1000 + MmioScratch::kGeneration, 8) == ga + 1);
    CHECK(a->type_name() == std::string("mmio-scratch"));
    CHECK(a->lock_domain().lock_class == "mmio-scratch");
    CHECK(a->lock_domain().bql_free);
}

TEST_CASE("mmio-scratch data registers read back and count and sum the writes", "[devices][mmio_scratch]")
{
    AddressSpace as("test");
    Mapped<MmioScratch> d(as, kBase, make_object<MmioScratch>());
    write_reg(as, kBase + MmioScratch::kData0, 8, 0x1122'3344'5566'7788);
    write_reg(as, kBase + MmioScratch::kData0 + 8 * 7 + 4, 4, 0xabcd);  // high half of DATA7
    CHECK(read_reg(as, kBase + MmioScratch::kData0, 8) == 0x1122'3344'5566'7788);
    CHECK(read_reg(as, kBase + MmioScratch::kData0 + 4, 4) == 0x1122'3344);
    CHECK(read_reg(as, kBase + MmioScratch::kData0 + 8 * 7, 8) == 0xabcd'0000'0000);
    CHECK(read_reg(as, kBase + MmioScratch::kWriteCount, 8) == 2);
    CHECK(read_reg(as, kBase + MmioScratch::kWriteSum, 8) == 0x1122'3344'5566'7788 + 0xabcd);
    CHECK(d->write_count() == 2);
    // 7 accesses so far; the read of ACCESS_COUNT is the 8th and counts itself.
    CHECK(read_reg(as, kBase + MmioScratch::kAccessCount, 8) == 8);
    CHECK(d->access_count() == 8);
}

TEST_CASE("mmio-scratch refuses 1- and 2-byte accesses and ignores writes to read-only registers",
          "[devices][mmio_scratch]")
{
    AddressSpace as("test");
    Mapped<MmioScratch> d(as, kBase, make_object<MmioScratch>());
    uint64_t v = 0;
    CHECK(as.read(kBase + MmioScratch::kData0, 1, v) == MemTx::AccessError);
    CHECK(as.write(kBase + MmioScratch::kData0, 2, 1) == MemTx::AccessError);
    write_reg(as, kBase + MmioScratch::kMagicReg, 8, 0);
    write_reg(as, kBase + MmioScratch::kWriteCount, 8, 99);
    CHECK(read_reg(as, kBase + MmioScratch::kMagicReg, 8) == MmioScratch::kMagic);
    CHECK(read_reg(as, kBase + MmioScratch::kWriteCount, 8) == 0);
    CHECK(read_reg(as, kBase + 0x800, 8) == 0);  // reserved
    CHECK(d->guest_errors() == 3);
}

TEST_CASE("mmio-scratch busy-waits its configured cost in every access, clamped to the maximum",
          "[devices][mmio_scratch]")
{
    AddressSpace as("test");
    Mapped<MmioScratch> d(as, kBase, make_object<MmioScratch>(5 * MmioScratch::kMaxCostNs));
    CHECK(d->cost_ns() == MmioScratch::kMaxCostNs);
    write_reg(as, kBase + MmioScratch::kCostNs, 8, 300'000);
    CHECK(read_reg(as, kBase + MmioScratch::kCostNs, 8) == 300'000);
    const auto t0 = std::chrono::steady_clock::now();
    read_reg(as, kBase + MmioScratch::kData0, 8);
    CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::microseconds(300));
    write_reg(as, kBase + MmioScratch::kCostNs, 8, ~uint64_t(0));
    CHECK(d->cost_ns() == MmioScratch::kMaxCostNs);
}

TEST_CASE("An access that reaches mmio-scratch after its eject completed is counted as stale",
          "[devices][mmio_scratch][unplug_audit]")
{
    unplug_audit::reset_counts();
    auto d = make_object<MmioScratch>();
    d->realize();
    uint64_t v = 0;
    {
        unplug_audit::AuditedAccess started_before;
        d->unrealize();                          // the eject completes while this access is in flight
        CHECK(d->mmio().read(MmioScratch::kData0, 8, v) == MemTx::Ok);  // region called directly,
    }                                                                   // as a broken dispatch would
    CHECK(unplug_audit::counts().stale == 0);
    {
        unplug_audit::AuditedAccess started_after;
        CHECK(d->mmio().read(MmioScratch::kData0, 8, v) == MemTx::Ok);
    }
    CHECK(unplug_audit::counts().stale == 1);
    CHECK(d->mmio().read(MmioScratch::kData0, 8, v) == MemTx::Ok);  // not audited: not counted
    CHECK(unplug_audit::counts().stale == 1);
    unplug_audit::reset_counts();
}

TEST_CASE("A freed mmio-scratch in quarantine looks live but fails and counts every access",
          "[devices][mmio_scratch][unplug_audit]")
{
    ScratchQuarantine q;
    auto d = make_object<MmioScratch>();
    MmioScratch* raw = d.get();
    d->realize();
    d->unrealize();
    d = {};  // last reference: into the quarantine, not deleted
    REQUIRE(MmioScratch::quarantined() == 1);
    CHECK(raw->realized());  // what reused memory would look like to a stale access
    uint64_t v = 0;
    CHECK(raw->mmio().read(MmioScratch::kMagicReg, 8, v) == MemTx::DeviceGone);
    CHECK(raw->mmio().write(MmioScratch::kData0, 8, 1) == MemTx::DeviceGone);
    CHECK(unplug_audit::counts().freed == 2);
    CHECK(raw->write_count() == 0);
}

TEST_CASE("Without the quarantine a freed mmio-scratch is deleted", "[devices][mmio_scratch]")
{
    MmioScratch::set_quarantine(false);
    auto d = make_object<MmioScratch>();
    d = {};
    CHECK(MmioScratch::quarantined() == 0);  // and ASan/LSan builds see it freed
}

namespace {
// A device with its own AioContext (this thread's) and a Virtual clock the test drives.
struct BackendFixture {
    ManualVirtualClock clock;
    AioContext ctx{"scratch-test"};
    AddressSpace as{"test"};
    Ref<MmioScratch> dev;
    explicit BackendFixture(uint64_t cost_ns)
    {
        ctx.attach_current_thread();
        dev = make_object<MmioScratch>(cost_ns, ctx);
        dev->realize();
        as.add_region(kBase, dev->mmio());
    }
    ~BackendFixture()
    {
        as.remove_region(dev->mmio());
        dev->unrealize();
    }
    void ring() { write_reg(as, kBase + MmioScratch::kDoorbell, 8, 1); }
};
}  // namespace

TEST_CASE("A doorbell completes in the device's context once its cost has passed on the Virtual clock",
          "[devices][mmio_scratch][async]")
{
    BackendFixture f(1000);
    f.ring();
    f.ring();
    CHECK(f.dev->in_flight() == 2);
    poll_ready(f.ctx);
    CHECK(f.dev->async_done() == 0);  // not due yet
    f.clock.advance(1000);
    poll_ready(f.ctx);
    CHECK(f.dev->async_done() == 2);
    CHECK(f.dev->in_flight() == 0);
    CHECK(read_reg(f.as, kBase + MmioScratch::kAsyncDone, 8) == 2);
}

TEST_CASE("Draining mmio-scratch waits for its pending completions and ignores doorbells until it ends",
          "[devices][mmio_scratch][async]")
{
    BackendFixture f(1000);
    f.ring();
    std::thread backend_time([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        f.clock.advance(1000);
        f.ctx.notify();
    });
    {
        DrainedSection drained(*f.dev);  // polls the context until nothing is in flight
        CHECK(f.dev->async_done() == 1);
        f.ring();
        CHECK(f.dev->in_flight() == 0);
        CHECK(f.dev->guest_errors() == 1);
    }
    backend_time.join();
    f.ring();
    CHECK(f.dev->in_flight() == 1);  // accepted again
}

TEST_CASE("Completions still pending when mmio-scratch is unrealized are dropped", "[devices][mmio_scratch][async]")
{
    BackendFixture f(1000);
    f.ring();
    f.as.remove_region(f.dev->mmio());
    f.dev->unrealize();
    CHECK(f.dev->in_flight() == 0);
    f.clock.advance(1000);
    poll_ready(f.ctx);
    CHECK(f.dev->async_done() == 0);
    f.dev->realize();  // for the fixture's teardown
    f.as.add_region(kBase, f.dev->mmio());
}
