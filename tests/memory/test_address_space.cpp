// AddressSpace (memory/address_space.h): publishing views under RCU, transactions, commit
// listeners, reclaiming old views, and RAM/DMA accesses.
#include <catch2/catch.hpp>

#include <array>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "../locking/blocked_call.h"
#include "../locking/held_read_section.h"
#include "memory/address_space.h"
#include "test_device.h"

using namespace locklab;
using locklab::test::BlockedCall;
using locklab::test::HeldReadSection;
using locklab::test::TestDevice;

namespace {

MemoryRegion region(const char* name, uint64_t size) { return MemoryRegion(nullptr, name, size, {}); }

// What the current view maps at `addr` (null if nothing).
const MemoryRegion* mapped_at(const AddressSpace& as, hwaddr addr)
{
    RcuReadGuard rcu;
    const FlatRange* r = as.view()->lookup(addr);
    return r ? r->mr : nullptr;
}

}  // namespace

TEST_CASE("Each add and remove publishes a new view and then runs the commit listeners",
          "[memory][address_space]")
{
    AddressSpace as("test");
    auto a = region("a", 0x100), b = region("b", 0x100);
    int commits = 0;
    const MemoryRegion* seen_by_listener = nullptr;
    as.add_commit_listener([&] {
        ++commits;
        seen_by_listener = mapped_at(as, 0x1000);  // the listener sees the published view
    });

    as.add_region(0x1000, a);
    CHECK(commits == 1);
    CHECK(mapped_at(as, 0x1000) == &a);
    CHECK(seen_by_listener == &a);

    as.add_region(0x1000, b, 1);
    CHECK(commits == 2);
    CHECK(mapped_at(as, 0x1000) == &b);

    as.remove_region(b);
    CHECK(commits == 3);
    CHECK(mapped_at(as, 0x1000) == &a);
    CHECK(seen_by_listener == &a);

    as.remove_region(b);  // not mapped: nothing changes, nothing is published
    CHECK(commits == 3);
    as.remove_region(a);
    CHECK(commits == 4);
    CHECK(mapped_at(as, 0x1000) == nullptr);
}

TEST_CASE("A transaction publishes its changes once at the outermost commit", "[memory][address_space]")
{
    AddressSpace as("test");
    auto a = region("a", 0x100), b = region("b", 0x100), c = region("c", 0x100);
    int commits = 0;
    as.add_commit_listener([&] { ++commits; });

    as.begin_transaction();
    as.add_region(0x0, a);
    as.begin_transaction();
    as.add_region(0x100, b);
    as.add_region(0x200, c);
    as.commit_transaction();  // inner commit: still batched
    CHECK(commits == 0);
    CHECK(mapped_at(as, 0x0) == nullptr);  // readers still see the view from before
    as.remove_region(a);
    as.commit_transaction();

    CHECK(commits == 1);
    CHECK(mapped_at(as, 0x0) == nullptr);
    CHECK(mapped_at(as, 0x100) == &b);
    CHECK(mapped_at(as, 0x200) == &c);

    as.begin_transaction();  // an empty transaction publishes nothing
    as.commit_transaction();
    CHECK(commits == 1);
}

TEST_CASE("A removed commit listener is no longer called", "[memory][address_space]")
{
    AddressSpace as("test");
    auto a = region("a", 0x100);
    int first = 0, second = 0;
    const int id = as.add_commit_listener([&] { ++first; });
    as.add_commit_listener([&] { ++second; });
    as.add_region(0x0, a);
    as.remove_commit_listener(id);
    as.remove_region(a);
    CHECK(first == 1);
    CHECK(second == 2);
}

TEST_CASE("Misuse of the writer side is refused with an exception", "[memory][address_space]")
{
    AddressSpace as("test");
    CHECK_THROWS_AS(as.commit_transaction(), std::logic_error);  // no transaction open
    auto big = region("big", 0x2000);
    CHECK_THROWS_AS(as.add_region(std::numeric_limits<hwaddr>::max() - 0xfff, big),
                    std::invalid_argument);  // would wrap past the top of the address space
    CHECK(mapped_at(as, 0) == nullptr);
    CHECK(mapped_at(as, std::numeric_limits<hwaddr>::max()) == nullptr);
}

TEST_CASE("A mapped device is referenced until the view that unmapped it has been reclaimed",
          "[memory][address_space][lifetime]")
{
    AddressSpace as("test");
    auto dev = make_object<TestDevice>();
    const int base = dev->ref_count();
    as.add_region(0x1000, dev->mmio());
    CHECK(dev->ref_count() == base + 1);
    as.remove_region(dev->mmio());
    rcu_barrier();
    CHECK(dev->ref_count() == base);
}

TEST_CASE("An old view and the devices it references live until readers that could see it have left",
          "[memory][address_space][lifetime][rcu]")
{
    AddressSpace as("test");
    std::atomic<bool> destroyed{false};
    auto dev = make_object<TestDevice>();
    dev->destroyed = &destroyed;
    as.add_region(0x1000, dev->mmio());

    const FlatView* old_view = nullptr;
    bool usable_at_the_end = false;
    {
        HeldReadSection reader([&] { old_view = as.view(); },
                               [&] {  // the reader still uses what it loaded, after the unplug
                                   const FlatRange* r = old_view->lookup(0x1000);
                                   usable_at_the_end = r && r->mr->owner()->ref_count() > 0 &&
                                                       !destroyed.load();
                               });
        as.remove_region(dev->mmio());
        dev = {};  // the old view's reference is now the only one
        CHECK(mapped_at(as, 0x1000) == nullptr);

        BlockedCall barrier([] { rcu_barrier(); });
        CHECK_FALSE(barrier.returned_within());
        CHECK_FALSE(destroyed.load());

        reader.leave();
        barrier.finish();
    }
    CHECK(usable_at_the_end);
    CHECK(destroyed.load());
}

TEST_CASE("RAM is read and written directly in little-endian order", "[memory][address_space][ram]")
{
    AddressSpace as("test");
    auto ram = MemoryRegion::make_ram("ram", 0x1000);
    as.add_region(0x8000'0000, *ram);

    CHECK(as.write(0x8000'0010, 8, 0x1122'3344'5566'7788) == MemTx::Ok);
    uint64_t v = 0;
    CHECK(as.read(0x8000'0010, 4, v) == MemTx::Ok);
    CHECK(v == 0x5566'7788);
    CHECK(as.read(0x8000'0016, 2, v) == MemTx::Ok);
    CHECK(v == 0x1122);
    CHECK(ram->host()[0x10] == 0x88);
}

TEST_CASE("ram_ptr covers only spans wholly inside one RAM range", "[memory][address_space][ram]")
{
    AddressSpace as("test");
    auto ram = MemoryRegion::make_ram("ram", 0x1000);
    auto mmio = region("mmio", 0x100);
    as.add_region(0x8000'0000, *ram);
    as.add_region(0x1000, mmio);

    CHECK(as.ram_ptr(0x8000'0000, 0x1000) == ram->host());
    CHECK(as.ram_ptr(0x8000'0ff8, 8) == ram->host() + 0xff8);
    CHECK(as.ram_ptr(0x8000'0ff8, 9) == nullptr);   // runs past the end
    CHECK(as.ram_ptr(0x8000'0010, std::numeric_limits<uint64_t>::max() - 8) == nullptr);  // wraps
    CHECK(as.ram_ptr(0x1000, 4) == nullptr);         // MMIO
    CHECK(as.ram_ptr(0x7fff'ffff, 1) == nullptr);    // unmapped
}

TEST_CASE("Accesses whose size is not 1 2 4 or 8 bytes are refused", "[memory][address_space][ram]")
{
    AddressSpace as("test");
    auto ram = MemoryRegion::make_ram("ram", 0x1000);
    as.add_region(0x8000'0000, *ram);
    for (unsigned size : {0u, 3u, 16u, 4096u}) {
        INFO("size " << size);
        uint64_t v = 0x5a;
        CHECK(as.read(0x8000'0000, size, v) == MemTx::AccessError);
        CHECK(as.write(0x8000'0000, size, v) == MemTx::AccessError);
    }
}

TEST_CASE("read_bytes and write_bytes move data across RAM and MMIO", "[memory][address_space][dma]")
{
    AddressSpace as("test");
    auto ram = MemoryRegion::make_ram("ram", 0x1000);
    auto dev = make_object<TestDevice>(0x100);
    dev->realize();
    as.add_region(0x1000, *ram);
    as.add_region(0x2000, dev->mmio());  // directly after the RAM

    std::array<uint8_t, 16> out{};
    for (size_t i = 0; i < out.size(); ++i) out[i] = uint8_t(0xa0 + i);
    REQUIRE(as.write_bytes(0x1ff8, out.data(), out.size()) == MemTx::Ok);

    CHECK(std::memcmp(ram->host() + 0xff8, out.data(), 8) == 0);  // first half in RAM
    uint64_t regs = 0;
    CHECK(as.read(0x2000, 8, regs) == MemTx::Ok);                   // second half in the device
    CHECK(regs == 0xafae'adac'abaa'a9a8);

    std::array<uint8_t, 16> in{};
    REQUIRE(as.read_bytes(0x1ff8, in.data(), in.size()) == MemTx::Ok);
    CHECK(in == out);
}

TEST_CASE("A DMA transfer that runs into unmapped space fails with Unassigned",
          "[memory][address_space][dma]")
{
    AddressSpace as("test");
    auto ram = MemoryRegion::make_ram("ram", 0x1000);
    as.add_region(0x1000, *ram);
    std::array<uint8_t, 16> buf{};
    CHECK(as.write_bytes(0x1ff8, buf.data(), buf.size()) == MemTx::Unassigned);
    CHECK(as.read_bytes(0x1ff8, buf.data(), buf.size()) == MemTx::Unassigned);
    CHECK(as.read_bytes(0x1ff8, buf.data(), 8) == MemTx::Ok);
}
