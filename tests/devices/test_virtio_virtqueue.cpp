// The split virtqueue on its own: what pop() hands out, what push() and should_notify() write and
// decide, and every validation of guest-supplied ring contents (virtio 1.x spec 2.7).
#include <catch2/catch.hpp>

#include "devices/virtqueue.h"
#include "tests/devices/test_virtio_driver.h"

using namespace locklab;
using namespace locklab::test;
using namespace locklab::virtio;

namespace {

GuestRam ram_of(VirtioRig& rig)
{
    return [&rig](hwaddr a, uint64_t len) { return rig.as.ram_ptr(a, len); };
}

struct QueueFixture {
    VirtioRig rig{true};
    GuestDriver guest{rig, true};
    VirtQueue vq{ram_of(rig)};
    static constexpr hwaddr kData = GuestDriver::kData;

    explicit QueueFixture(bool indirect = true, bool event_idx = false)
    {
        std::memset(rig.host(GuestDriver::kDesc), 0, 0x2000);
        REQUIRE(vq.setup(config(indirect, event_idx)));
    }
    static VirtQueueConfig config(bool indirect, bool event_idx)
    {
        return {GuestDriver::kQueueSize, GuestDriver::kDesc, GuestDriver::kAvail, GuestDriver::kUsed, indirect, event_idx};
    }
    // Pops expecting the queue to break with a message containing `what`.
    void expect_broken(const std::string& what)
    {
        CHECK_FALSE(vq.pop());
        REQUIRE(vq.broken());
        CHECK_THAT(vq.error(), Catch::Contains(what));
        CHECK_FALSE(vq.pop());  // stays broken: nothing more is processed
    }
};

}  // namespace

TEST_CASE("virtqueue pops a chain as host spans into guest RAM and pushes it to the used ring", "[virtio][virtqueue]")
{
    QueueFixture f;
    std::memcpy(f.rig.host(f.kData), "request", 7);
    f.guest.submit({{f.kData, 7, false}, {f.kData + 0x100, 64, true}, {f.kData + 0x200, 1, true}}, 3, false);
    CHECK(f.vq.has_available());
    auto elem = f.vq.pop();
    REQUIRE(elem);
    CHECK(elem->head == 3);
    REQUIRE(elem->out.size() == 1);
    REQUIRE(elem->in.size() == 2);
    CHECK(elem->out[0].data() == f.rig.host(f.kData));
    CHECK(std::string(reinterpret_cast<char*>(elem->out[0].data()), 7) == "request");
    CHECK(elem->in_bytes() == 65);
    CHECK_FALSE(f.vq.pop());  // nothing more available

    f.vq.push(*elem, 65);
    CHECK(f.guest.used_idx() == 1);
    uint32_t id;
    std::memcpy(&id, f.rig.host(GuestDriver::kUsed + 4), 4);
    CHECK(id == 3);
    CHECK(f.guest.used_len(0) == 65);
}

TEST_CASE("virtqueue follows an indirect table only when the feature was negotiated", "[virtio][virtqueue]")
{
    const hwaddr table = GuestDriver::kData + 0x1000;
    SECTION("negotiated: the table's chain is the element")
    {
        QueueFixture f(true);
        f.guest.write_desc(0, f.kData, 16, kDescFNext, 1, table);
        f.guest.write_desc(1, f.kData + 0x100, 512, kDescFWrite | kDescFNext, 2, table);
        f.guest.write_desc(2, f.kData + 0x300, 1, kDescFWrite, 0, table);
        f.guest.write_desc(5, table, 3 * 16, kDescFIndirect, 0);
        f.guest.publish(5, false);
        auto elem = f.vq.pop();
        REQUIRE(elem);
        CHECK(elem->head == 5);
        CHECK(elem->out.size() == 1);
        CHECK(elem->in.size() == 2);
        CHECK(elem->in_bytes() == 513);
    }
    SECTION("not negotiated: the device breaks")
    {
        QueueFixture f(false);
        f.guest.write_desc(0, f.kData, 16, 0, 0, table);
        f.guest.write_desc(5, table, 16, kDescFIndirect, 0);
        f.guest.publish(5, false);
        f.expect_broken("without VIRTIO_F_RING_INDIRECT_DESC");
    }
}

TEST_CASE("virtqueue asks for an interrupt as the driver's suppression says", "[virtio][virtqueue]")
{
    SECTION("without event-idx: unless the driver set NO_INTERRUPT")
    {
        QueueFixture f(true, false);
        f.guest.submit({{f.kData, 8, true}}, 0, false);
        f.vq.push(*f.vq.pop(), 8);
        CHECK(f.vq.should_notify());
        const uint16_t no_interrupt = kAvailFNoInterrupt;
        std::memcpy(f.rig.host(GuestDriver::kAvail), &no_interrupt, 2);
        f.guest.submit({{f.kData, 8, true}}, 0, false);
        f.vq.push(*f.vq.pop(), 8);
        CHECK_FALSE(f.vq.should_notify());
    }
    SECTION("with event-idx: only when the used index passes used_event; avail_event follows pops")
    {
        QueueFixture f(true, true);
        const hwaddr used_event = GuestDriver::kAvail + 4 + 2 * GuestDriver::kQueueSize;
        const hwaddr avail_event = GuestDriver::kUsed + 4 + 8 * GuestDriver::kQueueSize;
        auto set_used_event = [&](uint16_t v) { std::memcpy(f.rig.host(used_event), &v, 2); };
        auto one = [&] {
            f.guest.submit({{f.kData, 8, true}}, 0, false);
            auto e = f.vq.pop();
            REQUIRE(e);
            f.vq.push(*e, 8);
        };
        one();
        uint16_t ae;
        std::memcpy(&ae, f.rig.host(avail_event), 2);
        CHECK(ae == 1);
        CHECK(f.vq.should_notify());  // the first completion always notifies
        set_used_event(2);            // "interrupt me when used idx passes 2", i.e. at 3
        one();                        // used idx 2
        CHECK_FALSE(f.vq.should_notify());
        one();                        // used idx 3
        CHECK(f.vq.should_notify());
        one();                        // used idx 4: used_event (2) is behind
        CHECK_FALSE(f.vq.should_notify());
    }
}

TEST_CASE("virtqueue refuses rings that are misaligned or outside RAM", "[virtio][virtqueue]")
{
    VirtioRig rig(true);
    VirtQueue vq(ram_of(rig));
    auto cfg = QueueFixture::config(true, false);
    SECTION("misaligned descriptor table") { cfg.desc += 8; }
    SECTION("misaligned used ring") { cfg.used += 2; }
    SECTION("used ring outside RAM") { cfg.used = VirtioRig::kRam + VirtioRig::kRamSize - 8; }
    SECTION("descriptor table in MMIO (the transport's own registers)") { cfg.desc = VirtioRig::kSlot; }
    SECTION("queue size not a power of two") { cfg.size = 12; }
    SECTION("queue size 0") { cfg.size = 0; }
    CHECK_FALSE(vq.setup(cfg));
    CHECK(vq.broken());
    CHECK_FALSE(vq.pop());
    vq.reset();
    CHECK_FALSE(vq.broken());
}

TEST_CASE("virtqueue marks itself broken on every kind of bad chain, without crashing or hanging", "[virtio][virtqueue]")
{
    QueueFixture f;
    const hwaddr table = GuestDriver::kData + 0x1000;
    auto publish_raw_idx = [&](uint16_t idx) {
        std::atomic_ref<uint16_t>(*reinterpret_cast<uint16_t*>(f.rig.host(GuestDriver::kAvail + 2))).store(idx);
    };
    SECTION("available index moved by more than the queue size")
    {
        publish_raw_idx(GuestDriver::kQueueSize + 1);
        f.expect_broken("more than the queue size");
    }
    SECTION("head index beyond the queue")
    {
        f.guest.publish(GuestDriver::kQueueSize, false);
        f.expect_broken("beyond the queue size");
    }
    SECTION("next index beyond the queue")
    {
        f.guest.write_desc(0, f.kData, 8, kDescFNext, GuestDriver::kQueueSize);
        f.guest.publish(0, false);
        f.expect_broken("next index beyond");
    }
    SECTION("a descriptor loop")
    {
        f.guest.write_desc(0, f.kData, 8, kDescFNext, 1);
        f.guest.write_desc(1, f.kData, 8, kDescFNext, 0);
        f.guest.publish(0, false);
        f.expect_broken("loop");
    }
    SECTION("a loop inside an indirect table")
    {
        f.guest.write_desc(0, f.kData, 8, kDescFNext, 0, table);
        f.guest.write_desc(0, table, 16, kDescFIndirect, 0);
        f.guest.publish(0, false);
        f.expect_broken("loop");
    }
    SECTION("a chain through an indirect table longer than the queue")
    {
        const unsigned n = GuestDriver::kQueueSize + 1;
        for (unsigned i = 0; i < n; ++i)
            f.guest.write_desc(i, f.kData, 8, i + 1 < n ? kDescFNext : 0, i + 1, table);
        f.guest.write_desc(0, table, 16 * n, kDescFIndirect, 0);
        f.guest.publish(0, false);
        f.expect_broken("longer than the queue size");
    }
    SECTION("nested indirect descriptor")
    {
        f.guest.write_desc(0, table + 0x100, 16, kDescFIndirect, 0, table);
        f.guest.write_desc(0, table, 16, kDescFIndirect, 0);
        f.guest.publish(0, false);
        f.expect_broken("nested indirect");
    }
    SECTION("indirect table length not a multiple of 16")
    {
        f.guest.write_desc(0, table, 24, kDescFIndirect, 0);
        f.guest.publish(0, false);
        f.expect_broken("multiple of 16");
    }
    SECTION("indirect table of length 0")
    {
        f.guest.write_desc(0, table, 0, kDescFIndirect, 0);
        f.guest.publish(0, false);
        f.expect_broken("multiple of 16");
    }
    SECTION("indirect descriptor with NEXT")
    {
        f.guest.write_desc(0, table, 16, kDescFIndirect | kDescFNext, 1);
        f.guest.publish(0, false);
        f.expect_broken("with NEXT");
    }
    SECTION("indirect table outside RAM")
    {
        f.guest.write_desc(0, VirtioRig::kRam + VirtioRig::kRamSize - 16, 32, kDescFIndirect, 0);
        f.guest.publish(0, false);
        f.expect_broken("indirect table outside RAM");
    }
    SECTION("zero-length buffer")
    {
        f.guest.submit({{f.kData, 0, true}}, 0, false);
        f.expect_broken("zero-length");
    }
    SECTION("buffer that wraps around the address space")
    {
        f.guest.write_desc(0, ~uint64_t(0) - 8, 64, 0, 0);
        f.guest.publish(0, false);
        f.expect_broken("wraps");
    }
    SECTION("buffer partly outside RAM")
    {
        f.guest.submit({{VirtioRig::kRam + VirtioRig::kRamSize - 8, 64, true}}, 0, false);
        f.expect_broken("outside RAM");
    }
    SECTION("buffer in unassigned memory")
    {
        f.guest.submit({{0x4000'0000, 64, true}}, 0, false);
        f.expect_broken("outside RAM");
    }
    SECTION("DMA into the device's own registers (re-entrancy) is refused")
    {
        f.guest.submit({{VirtioRig::kSlot + VirtioMmio::kQueueNotify, 4, false}}, 0, false);
        f.expect_broken("MMIO");
    }
    SECTION("device-readable buffer after a device-writable one")
    {
        f.guest.submit({{f.kData, 8, true}, {f.kData + 8, 8, false}}, 0, false);
        f.expect_broken("readable buffer after");
    }
}

TEST_CASE("virtqueue accepts a chain exactly as long as the queue", "[virtio][virtqueue]")
{
    QueueFixture f;
    std::vector<GuestDriver::Buffer> bufs;
    for (unsigned i = 0; i < GuestDriver::kQueueSize; ++i) bufs.push_back({f.kData + 16 * i, 16, true});
    f.guest.submit(bufs, 0, false);
    auto elem = f.vq.pop();
    REQUIRE(elem);
    CHECK(elem->in.size() == GuestDriver::kQueueSize);
    CHECK_FALSE(f.vq.broken());
}
