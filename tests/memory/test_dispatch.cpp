// The MMIO dispatch path (memory/dispatch.h, DESIGN.md "The MMIO dispatch path"): lookup, lifetime
// pin, lock model, re-entrancy guard, validation, and what each failure returns.
#include <catch2/catch.hpp>

#include <limits>

#include "locking/bql.h"
#include "locking/rcu.h"
#include "memory/address_space.h"
#include "memory/dispatch.h"
#include "scoped_lifetime_policy.h"
#include "test_device.h"

using namespace locklab;
using locklab::test::ScopedLifetimePolicy;
using locklab::test::TestDevice;

namespace {

constexpr hwaddr kDev = 0x1000'0000;  // where tests map their device

// A realized TestDevice mapped at kDev in its own address space.
struct Bench {
    explicit Bench(uint64_t size = 0x100, MmioOps limits = {})
        : dev(make_object<TestDevice>(size, limits))
    {
        dev->realize();
        as.add_region(kDev, dev->mmio());
    }
    AddressSpace as{"test"};
    Ref<TestDevice> dev;
};

MmioOps limits(unsigned min, unsigned max, bool unaligned)
{
    MmioOps o;
    o.min_access = min;
    o.max_access = max;
    o.unaligned = unaligned;
    return o;
}

}  // namespace

TEST_CASE("An access to an unmapped address is Unassigned", "[memory][dispatch]")
{
    Bench b(0x100);
    auto other = make_object<TestDevice>(0x100);
    other->realize();
    b.as.add_region(kDev + 0x1000, other->mmio());
    uint64_t v = 0;
    CHECK(b.as.read(0, 4, v) == MemTx::Unassigned);
    CHECK(b.as.read(kDev + 0x100, 4, v) == MemTx::Unassigned);  // the gap between the devices
    CHECK(b.as.write(kDev + 0xffc, 4, 1) == MemTx::Unassigned);
    CHECK(b.as.read(std::numeric_limits<hwaddr>::max(), 1, v) == MemTx::Unassigned);
    CHECK(b.dev->callbacks() + other->callbacks() == 0);
}

TEST_CASE("Access size and alignment are checked against the region before its callback runs",
          "[memory][dispatch]")
{
    uint64_t v = 0;
    SECTION("aligned region taking 2 to 4 bytes")
    {
        Bench b(0x100, limits(2, 4, false));
        CHECK(b.as.read(kDev + 4, 1, v) == MemTx::AccessError);  // too small
        CHECK(b.as.read(kDev + 8, 8, v) == MemTx::AccessError);  // too large
        CHECK(b.as.read(kDev + 2, 4, v) == MemTx::AccessError);  // misaligned
        CHECK(b.as.write(kDev + 1, 2, v) == MemTx::AccessError);
        CHECK(b.dev->callbacks() == 0);
        CHECK(b.as.read(kDev + 4, 4, v) == MemTx::Ok);
        CHECK(b.as.write(kDev + 2, 2, v) == MemTx::Ok);
        CHECK(b.dev->callbacks() == 2);
    }
    SECTION("region accepting unaligned accesses")
    {
        Bench b(0x100, limits(1, 8, true));
        CHECK(b.as.read(kDev + 3, 4, v) == MemTx::Ok);
        CHECK(b.as.read(kDev + 0xfd, 4, v) == MemTx::AccessError);  // runs past the region's end
        CHECK(b.dev->callbacks() == 1);
    }
}

TEST_CASE("Access sizes other than 1 2 4 and 8 never reach a device", "[memory][dispatch]")
{
    Bench b(0x100, limits(1, 8, true));
    for (unsigned size : {0u, 3u, 16u}) {
        INFO("size " << size);
        MemAccess a{kDev, size, false, 0, 0};
        CHECK(dispatch_mmio(b.as, a) == MemTx::AccessError);
        a.is_write = true;
        CHECK(dispatch_mmio(b.as, a) == MemTx::AccessError);
    }
    CHECK(b.dev->callbacks() == 0);
}

// An access may only touch bytes that the view gives to its region: where a higher-priority region
// covers the rest, the bytes past the range's end are not the lower region's.
TEST_CASE("An access straddling the end of its range is refused", "[memory][dispatch]")
{
    Bench b(0x100, limits(1, 8, true));
    auto over = make_object<TestDevice>(0x100, limits(1, 8, true));
    over->realize();
    b.as.add_region(kDev + 0x80, over->mmio(), 1);
    uint64_t v = 0;
    CHECK(b.as.read(kDev + 0x7c, 8, v) == MemTx::AccessError);
    CHECK(b.as.write(kDev + 0x7c, 8, v) == MemTx::AccessError);
    CHECK(b.dev->callbacks() + over->callbacks() == 0);
    CHECK(b.as.read(kDev + 0x78, 8, v) == MemTx::Ok);
    CHECK(b.as.read(kDev + 0x80, 8, v) == MemTx::Ok);
    CHECK(b.dev->callbacks() == 1);
    CHECK(over->callbacks() == 1);
}

TEST_CASE("RAM never goes through the MMIO callbacks", "[memory][dispatch]")
{
    AddressSpace as("test");
    auto ram = MemoryRegion::make_ram("ram", 0x1000);
    as.add_region(0x8000'0000, *ram);
    MemAccess a{0x8000'0000, 4, false, 0, 0};
    CHECK(dispatch_mmio(as, a) == MemTx::AccessError);  // RAM is the caller's fast path
}

TEST_CASE("Written values are truncated and read values masked to the access size", "[memory][dispatch]")
{
    uint64_t last_write = 0;
    MmioOps ops;
    ops.read = [](hwaddr, unsigned, uint64_t& v) { v = ~uint64_t(0); return MemTx::Ok; };
    ops.write = [&](hwaddr, unsigned, uint64_t v) { last_write = v; return MemTx::Ok; };
    MemoryRegion board(nullptr, "board", 0x100, ops);
    AddressSpace as("test");
    as.add_region(0x1000, board);

    uint64_t v = 0;
    CHECK(as.read(0x1000, 1, v) == MemTx::Ok);
    CHECK(v == 0xff);
    CHECK(as.read(0x1000, 4, v) == MemTx::Ok);
    CHECK(v == 0xffff'ffff);
    CHECK(as.read(0x1000, 8, v) == MemTx::Ok);
    CHECK(v == ~uint64_t(0));
    CHECK(as.write(0x1000, 2, 0x1122'3344'5566'7788) == MemTx::Ok);
    CHECK(last_write == 0x7788);
}

TEST_CASE("A device writing its own register from its callback is refused but the outer access completes",
          "[memory][dispatch][reentrancy]")
{
    Bench b;
    MemTx inner = MemTx::Ok;
    b.dev->in_callback = [&](TestDevice&) {
        if (b.dev->callbacks() == 1) inner = b.as.write(kDev + 8, 4, 0xdead);  // mmio -> dma -> mmio
    };
    CHECK(b.as.write(kDev, 4, 0x1234) == MemTx::Ok);
    CHECK(inner == MemTx::Reentrant);
    CHECK(b.dev->callbacks() == 1);  // the inner access never reached the device
    CHECK_FALSE(b.dev->guard().engaged());

    uint64_t v = 0;
    CHECK(b.as.read(kDev + 8, 4, v) == MemTx::Ok);  // the guard is free again afterwards
    CHECK(v == 0);                                  // and the refused write left no trace
    CHECK(b.as.read(kDev, 4, v) == MemTx::Ok);
    CHECK(v == 0x1234);
}

TEST_CASE("A device may access another device from its callback", "[memory][dispatch][reentrancy]")
{
    Bench b;
    auto other = make_object<TestDevice>();
    other->realize();
    b.as.add_region(kDev + 0x1000, other->mmio());
    MemTx inner = MemTx::AccessError;
    b.dev->in_callback = [&](TestDevice&) { inner = b.as.write(kDev + 0x1000, 4, 7); };
    CHECK(b.as.write(kDev, 4, 1) == MemTx::Ok);
    CHECK(inner == MemTx::Ok);
    CHECK(other->callbacks() == 1);
}

TEST_CASE("A device that is not realized fails accesses with DeviceGone without being called",
          "[memory][dispatch][lifetime]")
{
    uint64_t v = 0;
    SECTION("unrealized after mapping (hot-unplug with a stale view)")
    {
        Bench b;
        {
            BqlLockGuard bql;  // the global model serialises unrealize against callbacks
            b.dev->unrealize();
        }
        CHECK(b.as.read(kDev, 4, v) == MemTx::DeviceGone);
        CHECK(b.as.write(kDev, 4, v) == MemTx::DeviceGone);
        CHECK(b.dev->callbacks() == 0);
    }
    SECTION("mapped before it was ever realized")
    {
        AddressSpace as("test");
        auto dev = make_object<TestDevice>();
        as.add_region(kDev, dev->mmio());
        CHECK(as.read(kDev, 4, v) == MemTx::DeviceGone);
        CHECK(dev->callbacks() == 0);
    }
}

TEST_CASE("Lifetime policies pin the owner as each one promises", "[memory][dispatch][lifetime]")
{
    Bench b;
    const int base = b.dev->ref_count();  // the creator's and the current view's
    int refs_inside = -1;
    bool rcu_inside = false;
    b.dev->in_callback = [&](TestDevice& d) {
        refs_inside = d.ref_count();
        rcu_inside = rcu_read_locked();
    };
    uint64_t v = 0;

    SECTION("ref-per-access: one reference for the access, outside the RCU section")
    {
        ScopedLifetimePolicy p(LifetimePolicy::RefPerAccess);
        CHECK(b.as.read(kDev, 4, v) == MemTx::Ok);
        CHECK(refs_inside == base + 1);
        CHECK_FALSE(rcu_inside);
    }
    SECTION("snapshot-ref: no reference, the view's keeps it alive inside the RCU section")
    {
        ScopedLifetimePolicy p(LifetimePolicy::SnapshotRef);
        CHECK(b.as.read(kDev, 4, v) == MemTx::Ok);
        CHECK(refs_inside == base);
        CHECK(rcu_inside);
    }
    SECTION("none: no reference and outside the RCU section (the unsafe control)")
    {
        ScopedLifetimePolicy p(LifetimePolicy::None);
        CHECK(b.as.read(kDev, 4, v) == MemTx::Ok);
        CHECK(refs_inside == base);
        CHECK_FALSE(rcu_inside);
    }
    CHECK(b.dev->ref_count() == base);  // whatever was taken was dropped
    CHECK_FALSE(rcu_read_locked());
}

TEST_CASE("Lifetime policies are parsed from and printed as their names", "[memory][lifetime]")
{
    for (auto p : {LifetimePolicy::RefPerAccess, LifetimePolicy::SnapshotRef, LifetimePolicy::None}) {
        LifetimePolicy parsed{};
        REQUIRE(parse_lifetime_policy(to_string(p), parsed));
        CHECK(parsed == p);
    }
    CHECK(to_string(LifetimePolicy::SnapshotRef) == "snapshot-ref");
    LifetimePolicy unchanged = LifetimePolicy::SnapshotRef;
    CHECK_FALSE(parse_lifetime_policy("refcount", unchanged));
    CHECK(unchanged == LifetimePolicy::SnapshotRef);
}

TEST_CASE("Under the global lock model callbacks run with the BQL held", "[memory][dispatch][bql]")
{
    auto policy = GENERATE(LifetimePolicy::RefPerAccess, LifetimePolicy::SnapshotRef);
    ScopedLifetimePolicy p(policy);
    INFO("lifetime policy " << to_string(policy));
    Bench b;
    bool bql_inside = false;
    b.dev->in_callback = [&](TestDevice&) { bql_inside = bql_locked(); };
    uint64_t v = 0;

    SECTION("the caller does not hold the BQL: the access takes and releases it")
    {
        CHECK(b.as.read(kDev, 4, v) == MemTx::Ok);
        CHECK(bql_inside);
        CHECK_FALSE(bql_locked());
    }
    SECTION("the caller holds the BQL: the access neither deadlocks nor releases it")
    {
        bql_lock();
        CHECK(b.as.write(kDev, 4, 1) == MemTx::Ok);
        CHECK(bql_inside);
        CHECK(bql_locked());
        bql_unlock();
    }
}

TEST_CASE("A region without an owning device is also called under the BQL", "[memory][dispatch][bql]")
{
    bool bql_inside = false;
    MmioOps ops;
    ops.read = [&](hwaddr, unsigned, uint64_t& v) {
        bql_inside = bql_locked();
        v = 0;
        return MemTx::Ok;
    };
    MemoryRegion board(nullptr, "board", 0x100, ops);
    AddressSpace as("test");
    as.add_region(0x1000, board);
    uint64_t v = 0;
    CHECK(as.read(0x1000, 4, v) == MemTx::Ok);
    CHECK(bql_inside);
    CHECK_FALSE(bql_locked());
}
