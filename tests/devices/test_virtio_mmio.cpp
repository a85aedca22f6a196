// The virtio-mmio transport: both register layouts, the empty slot, feature negotiation, status and
// reset, interrupt status/ack, config space, a device marking itself broken, and the board's eight
// slots with their device-tree nodes.
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <libfdt.h>

#include "devices/virt_board.h"
#include "devices/virt_memmap.h"
#include "devices/virtio_blk.h"
#include "tests/devices/test_virtio_driver.h"

using namespace locklab;
using namespace locklab::test;
using namespace locklab::virtio;
using M = VirtioMmio;

namespace {

// A transport with a virtio-blk (64 KiB in-memory disk) plugged in, running in the main loop.
struct Plugged {
    explicit Plugged(bool legacy) : rig(legacy), guest(rig, legacy)
    {
        auto d = std::make_unique<MemoryDisk>(64 * 1024);
        disk = d.get();
        backend = std::make_shared<BlockBackend>("d0", std::move(d), main_context());
        rig.mmio().plug(make_object<VirtioBlk>(backend, rig.as));
    }
    uint64_t features()
    {
        uint64_t f = 0;
        for (uint32_t sel = 0; sel < 2; ++sel) {
            rig.set(M::kDeviceFeaturesSel, sel);
            f |= uint64_t(rig.reg(M::kDeviceFeatures)) << (32 * sel);
        }
        return f;
    }
    // A GET_ID request (16-byte header, 20-byte id buffer, status) on descriptors 0..2.
    void get_id()
    {
        const uint32_t header[4] = {virtio_blk::kTGetId, 0, 0, 0};
        std::memcpy(rig.host(GuestDriver::kData), header, 16);
        guest.submit({{GuestDriver::kData, 16, false}, {GuestDriver::kData + 0x100, 20, true},
                      {GuestDriver::kData + 0x200, 1, true}});
    }

    VirtioRig rig;
    GuestDriver guest;
    MemoryDisk* disk = nullptr;
    std::shared_ptr<BlockBackend> backend;
};

}  // namespace

TEST_CASE("An empty virtio-mmio slot reads magic, version and vendor, and 0 elsewhere, like QEMU's", "[virtio][mmio]")
{
    const bool legacy = GENERATE(true, false);
    VirtioRig rig(legacy);
    CHECK(rig.reg(M::kMagic) == 0x74726976);
    CHECK(rig.reg(M::kVersion) == (legacy ? 1u : 2u));
    CHECK(rig.reg(M::kVendor) == 0x554d4551);
    CHECK(rig.reg(M::kDeviceId) == 0);
    for (hwaddr off = 0x10; off < M::kRegionSize; off += 4) {
        INFO("offset " << off);
        if (off != M::kVendor) CHECK(rig.reg(off) == 0);
    }
    rig.set(M::kStatus, kStatusAcknowledge);  // ignored
    rig.set(M::kQueueNotify, 0);
    CHECK(rig.reg(M::kStatus) == 0);
    // Other sizes, as QEMU 7.2 answers them (bare-metal probe): the value truncated, or for 8
    // bytes two 4-byte reads; beyond the 0x200-byte region nothing is mapped.
    CHECK(read_reg(rig.as, VirtioRig::kSlot, 1) == 0x76);
    CHECK(read_reg(rig.as, VirtioRig::kSlot + 1, 1) == 0);
    CHECK(read_reg(rig.as, VirtioRig::kSlot, 2) == 0x6976);
    CHECK(read_reg(rig.as, VirtioRig::kSlot, 8) == (uint64_t(legacy ? 1 : 2) << 32 | 0x74726976));
    uint64_t v = 0;
    CHECK(rig.as.read(VirtioRig::kSlot + M::kRegionSize, 4, v) != MemTx::Ok);
    CHECK(rig.mmio().guest_errors() == 0);
}

TEST_CASE("virtio-mmio legacy layout: version 1, low feature word only, QueuePFN, no modern registers", "[virtio][mmio]")
{
    Plugged p(true);
    CHECK(p.rig.reg(M::kVersion) == 1);
    CHECK(p.rig.reg(M::kDeviceId) == kIdBlock);
    const uint64_t f = p.features();
    CHECK(f >> 32 == 0);  // no VIRTIO_F_VERSION_1
    CHECK(f & feature(kFRingIndirectDesc));
    CHECK(f & feature(kFRingEventIdx));
    CHECK(f & feature(virtio_blk::kFFlush));
    p.rig.set(M::kQueueSel, 0);
    CHECK(p.rig.reg(M::kQueueNumMax) == 1024);  // QEMU's VIRTQUEUE_MAX_SIZE
    p.rig.set(M::kQueueSel, 1);
    CHECK(p.rig.reg(M::kQueueNumMax) == 0);  // no such queue

    const uint64_t errors = p.rig.mmio().guest_errors();
    CHECK(p.rig.reg(M::kQueueReady) == 0);        // modern only
    CHECK(p.rig.reg(M::kConfigGeneration) == 0);  // modern only
    CHECK(p.rig.mmio().guest_errors() == errors + 2);

    REQUIRE(p.guest.init() == (kStatusAcknowledge | kStatusDriver | kStatusDriverOk));
    p.rig.set(M::kQueueSel, 0);
    CHECK(p.rig.reg(M::kQueuePfn) == GuestDriver::kDesc >> 12);
    p.get_id();
    REQUIRE(p.guest.wait_used(1));
    CHECK(std::string(reinterpret_cast<char*>(p.rig.host(GuestDriver::kData + 0x100))) == "d0");
}

TEST_CASE("virtio-mmio legacy: GuestPageSize written at probe survives the driver's reset (Linux and U-Boot order)",
          "[virtio][mmio]")
{
    Plugged p(true);
    REQUIRE(p.guest.init() == (kStatusAcknowledge | kStatusDriver | kStatusDriverOk));  // resets
    p.rig.set(M::kStatus, 0);  // the driver's reset (init() wrote GuestPageSize before this one)
    p.rig.set(M::kStatus, kStatusAcknowledge | kStatusDriver);
    p.rig.set(M::kDriverFeatures, 0);
    p.rig.set(M::kQueueSel, 0);
    p.rig.set(M::kQueueNum, GuestDriver::kQueueSize);
    p.rig.set(M::kQueueAlign, 4096);
    const uint64_t errors = p.rig.mmio().guest_errors();
    p.rig.set(M::kQueuePfn, uint32_t(GuestDriver::kDesc >> 12));  // no GuestPageSize since the reset
    CHECK(p.rig.mmio().guest_errors() == errors);  // the rings are at PFN * 4096, aligned
    CHECK(p.rig.reg(M::kQueuePfn) == GuestDriver::kDesc >> 12);
    p.rig.set(M::kStatus, kStatusAcknowledge | kStatusDriver | kStatusDriverOk);
    p.get_id();  // the device finds the rings where the driver put them
    REQUIRE(p.guest.wait_used(1));
    CHECK(std::string(reinterpret_cast<char*>(p.rig.host(GuestDriver::kData + 0x100))) == "d0");
    CHECK_FALSE(p.rig.reg(M::kStatus) & kStatusNeedsReset);
}

TEST_CASE("virtio-mmio modern layout: version 2, VERSION_1 offered, separate ring addresses, SHM absent", "[virtio][mmio]")
{
    Plugged p(false);
    CHECK(p.rig.reg(M::kVersion) == 2);
    CHECK(p.features() & feature(kFVersion1));
    CHECK(p.rig.reg(M::kShmLenLow) == 0xffff'ffff);
    CHECK(p.rig.reg(M::kShmLenHigh) == 0xffff'ffff);
    CHECK(p.rig.reg(M::kConfigGeneration) == 0);
    const uint64_t errors = p.rig.mmio().guest_errors();
    CHECK(p.rig.reg(M::kQueuePfn) == 0);  // legacy only
    CHECK(p.rig.mmio().guest_errors() == errors + 1);

    REQUIRE(p.guest.init() & kStatusDriverOk);
    p.rig.set(M::kQueueSel, 0);
    CHECK(p.rig.reg(M::kQueueReady) == 1);
    p.get_id();
    REQUIRE(p.guest.wait_used(1));
    CHECK(p.guest.used_len(0) == 21);
}

TEST_CASE("virtio-mmio modern feature negotiation refuses FEATURES_OK without VERSION_1 or with unoffered bits", "[virtio][mmio]")
{
    Plugged p(false);
    auto negotiate = [&](uint64_t f) {
        p.rig.set(M::kStatus, 0);
        p.rig.set(M::kStatus, kStatusAcknowledge | kStatusDriver);
        for (uint32_t sel = 0; sel < 2; ++sel) {
            p.rig.set(M::kDriverFeaturesSel, sel);
            p.rig.set(M::kDriverFeatures, uint32_t(f >> (32 * sel)));
        }
        p.rig.set(M::kStatus, kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk);
        return (p.rig.reg(M::kStatus) & kStatusFeaturesOk) != 0;
    };
    CHECK_FALSE(negotiate(feature(kFRingIndirectDesc)));                          // no VERSION_1
    CHECK_FALSE(negotiate(feature(kFVersion1) | feature(40)));                    // not offered
    CHECK(negotiate(feature(kFVersion1) | feature(kFRingEventIdx)));
    CHECK(p.rig.mmio().device()->driver_features() == (feature(kFVersion1) | feature(kFRingEventIdx)));
}

TEST_CASE("virtio-mmio legacy features are committed as written, masked to what is offered", "[virtio][mmio]")
{
    Plugged p(true);
    p.rig.set(M::kDriverFeaturesSel, 0);
    p.rig.set(M::kDriverFeatures, 0xffff'ffff);
    CHECK(p.rig.mmio().device()->driver_features() == (p.features() & 0xffff'ffff));
}

TEST_CASE("virtio-mmio raises its line for a used buffer and InterruptACK lowers it", "[virtio][mmio]")
{
    const bool legacy = GENERATE(true, false);
    Plugged p(legacy);
    REQUIRE(p.guest.init() & kStatusDriverOk);
    CHECK_FALSE(p.rig.irq.level(1));
    p.get_id();
    REQUIRE(p.guest.wait_used(1));
    CHECK(p.rig.reg(M::kInterruptStatus) == kIsrUsedBuffer);
    CHECK(p.rig.irq.level(1));
    p.rig.set(M::kInterruptAck, kIsrUsedBuffer);
    CHECK(p.rig.reg(M::kInterruptStatus) == 0);
    CHECK_FALSE(p.rig.irq.level(1));
}

TEST_CASE("virtio-mmio status 0 resets the transport and the device", "[virtio][mmio]")
{
    const bool legacy = GENERATE(true, false);
    Plugged p(legacy);
    REQUIRE(p.guest.init() & kStatusDriverOk);
    p.get_id();
    REQUIRE(p.guest.wait_used(1));
    p.rig.set(M::kStatus, 0);
    CHECK(p.rig.reg(M::kStatus) == 0);
    CHECK(p.rig.reg(M::kInterruptStatus) == 0);
    CHECK_FALSE(p.rig.irq.level(1));
    REQUIRE(poll_until(main_context(), [&] { return p.rig.mmio().device()->idle(); }));
    // The device starts from scratch: a new driver instance works with fresh rings.
    REQUIRE(p.guest.init() & kStatusDriverOk);
    p.get_id();
    REQUIRE(p.guest.wait_used(1));
}

TEST_CASE("virtio-mmio config space is readable at 0x100 in any size, all-ones beyond the device's", "[virtio][mmio]")
{
    Plugged p(GENERATE(true, false));
    const uint64_t sectors = 64 * 1024 / 512;
    CHECK(p.rig.reg(M::kConfig) == sectors);
    CHECK(p.rig.reg(M::kConfig + 4) == 0);
    CHECK(read_reg(p.rig.as, VirtioRig::kSlot + M::kConfig, 1) == sectors);
    CHECK(read_reg(p.rig.as, VirtioRig::kSlot + M::kConfig + 20, 4) == 512);  // blk_size
    CHECK(read_reg(p.rig.as, VirtioRig::kSlot + M::kConfig + 0x38, 4) == 0xffff'ffff);  // 57 bytes, as QEMU
    CHECK(read_reg(p.rig.as, VirtioRig::kSlot + M::kRegionSize - 4, 4) == 0xffff'ffff);
    CHECK(read_reg(p.rig.as, VirtioRig::kSlot + M::kMagic, 8) == (uint64_t(p.rig.reg(M::kVersion)) << 32 | 0x74726976));
    // Registers other than config space are 32-bit only.
    const uint64_t errors = p.rig.mmio().guest_errors();
    CHECK(read_reg(p.rig.as, VirtioRig::kSlot + M::kMagic, 2) == 0);
    CHECK(p.rig.mmio().guest_errors() == errors + 1);
}

TEST_CASE("A virtio device that meets a bad ring sets NEEDS_RESET, logs once, and a reset clears it", "[virtio][mmio]")
{
    const bool legacy = GENERATE(true, false);
    Plugged p(legacy);
    REQUIRE(p.guest.init() & kStatusDriverOk);
    // A request whose buffers are the transport's own registers: DMA into MMIO is refused.
    p.guest.submit({{VirtioRig::kSlot, 16, false}, {VirtioRig::kSlot + 0x100, 1, true}});
    REQUIRE(poll_until(main_context(), [&] { return (p.rig.reg(M::kStatus) & kStatusNeedsReset) != 0; }));
    CHECK(p.guest.used_idx() == 0);
    if (!legacy) {
        CHECK(p.rig.reg(M::kInterruptStatus) & kIsrConfigChange);
        CHECK(p.rig.irq.level(1));
    }
    CHECK(p.rig.mmio().guest_errors() >= 1);
    p.get_id();  // further requests are not processed until reset
    poll_ready(main_context());
    CHECK(p.guest.used_idx() == 0);

    REQUIRE(p.guest.init() & kStatusDriverOk);
    CHECK_FALSE(p.rig.reg(M::kStatus) & kStatusNeedsReset);
    p.get_id();
    REQUIRE(p.guest.wait_used(1));
}

TEST_CASE("Plugging into an occupied slot is refused; unplugging leaves an empty slot", "[virtio][mmio]")
{
    Plugged p(false);
    auto other = make_object<VirtioBlk>(p.backend, p.rig.as);
    CHECK_THROWS_AS(p.rig.mmio().plug(Ref<VirtioDevice>(other.get())), std::logic_error);
    Ref<VirtioDevice> gone = p.rig.mmio().unplug();
    REQUIRE(gone);
    CHECK_FALSE(gone->realized());
    CHECK(p.rig.reg(M::kDeviceId) == 0);
    CHECK(p.rig.reg(M::kMagic) == 0x74726976);
    CHECK_FALSE(p.rig.mmio().unplug());
}

TEST_CASE("The board has eight virtio-mmio transports at the virt addresses, described in the device tree", "[virtio][board]")
{
    const bool legacy = GENERATE(true, false);
    AioContext ctx("virtio-board-test");
    FakeIrqSink hart;
    TempFile serial_out;
    AddressSpace as("virtio-board-test");
    VirtBoardConfig cfg;
    cfg.ram_size = 16ull << 20;
    cfg.serial_out_path = serial_out.path();
    cfg.serial_in_fd = -1;
    cfg.virtio_legacy = legacy;
    VirtBoard board(cfg, as, ctx, {&hart});
    for (unsigned i = 0; i < virt::kVirtioSlots; ++i) {
        const hwaddr base = virt::kVirtioBase + i * virt::kVirtioStride;
        CHECK(read_reg(as, base + M::kMagic, 4) == 0x74726976);
        CHECK(read_reg(as, base + M::kVersion, 4) == (legacy ? 1u : 2u));
        CHECK(board.virtio_slot(i).legacy() == legacy);
    }
    CHECK_THROWS_AS(board.virtio_slot(8), std::out_of_range);

    const std::vector<uint8_t> fdt = board.build_fdt();
    for (unsigned i = 0; i < virt::kVirtioSlots; ++i) {
        const std::string path = fmt::format("/soc/virtio_mmio@{:x}", virt::kVirtioBase + i * virt::kVirtioStride);
        INFO(path);
        const int node = fdt_path_offset(fdt.data(), path.c_str());
        REQUIRE(node >= 0);
        CHECK(std::string(static_cast<const char*>(fdt_getprop(fdt.data(), node, "compatible", nullptr))) == "virtio,mmio");
        const auto* irq = static_cast<const fdt32_t*>(fdt_getprop(fdt.data(), node, "interrupts", nullptr));
        REQUIRE(irq);
        CHECK(fdt32_to_cpu(*irq) == 1 + i);
        CHECK(fdt_getprop(fdt.data(), node, "interrupt-parent", nullptr));
    }
}
