// Shared pieces of the virtio tests: a rig with guest RAM and one virtio-mmio transport mapped at
// slot 0, and a small guest-side driver that speaks the transport's registers and a split virtqueue in
// that RAM, the way a bare-metal guest would.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "block/block_backend.h"
#include "devices/virtio_defs.h"
#include "devices/virtio_mmio.h"
#include "locking/rcu.h"
#include "loop/main_loop.h"
#include "tests/block/memory_disk.h"  // MemoryDisk, Gate: the in-memory gated driver
#include "tests/devices/device_fixture.h"

namespace locklab::test {

// Guest RAM at 0x8000_0000 and one transport at the first virtio slot, IRQ line 1 on a fake sink.
// The test thread is the main loop's home thread.
class VirtioRig {
public:
    static constexpr hwaddr kRam = 0x8000'0000, kRamSize = 1 << 20, kSlot = 0x1000'1000;

    // `ioeventfd` as VirtioMmio's (false: a device in the main loop handles kicks on the writer).
    explicit VirtioRig(bool legacy, bool ioeventfd = true)
        : ram_(MemoryRegion::make_ram("virtio-test.ram", kRamSize)),
          mmio_(make_object<VirtioMmio>(IrqLine(&irq, 1), legacy, ioeventfd))
    {
        main_context().attach_current_thread();
        mmio_->realize();
        as.add_region(kRam, *ram_);
        as.add_region(kSlot, mmio_->mmio());
    }
    ~VirtioRig()
    {
        mmio_->unrealize();  // unplugs (drains) a device still plugged
        as.remove_region(mmio_->mmio());
        as.remove_region(*ram_);
        rcu_barrier();  // the replaced FlatViews name the RAM region until they are freed
    }
    VirtioMmio& mmio() { return *mmio_; }
    uint32_t reg(hwaddr off) { return uint32_t(read_reg(as, kSlot + off, 4)); }
    void set(hwaddr off, uint32_t v) { write_reg(as, kSlot + off, 4, v); }
    uint8_t* host(hwaddr addr) { return ram_->host() + (addr - kRam); }

    AddressSpace as{"virtio-test"};
    FakeIrqSink irq;

private:
    std::unique_ptr<MemoryRegion> ram_;
    Ref<VirtioMmio> mmio_;
};

// A guest-side driver for queue 0: rings at fixed places in the rig's RAM (the legacy layout for
// a 16-entry queue with 4 KiB pages and alignment), one request chain at a time from descriptor 0.
class GuestDriver {
public:
    static constexpr uint16_t kQueueSize = 16;
    static constexpr hwaddr kDesc = VirtioRig::kRam, kAvail = kDesc + 16 * kQueueSize, kUsed = kDesc + 0x1000;
    static constexpr hwaddr kData = VirtioRig::kRam + 0x10000;
    struct Buffer {
        hwaddr addr;
        uint32_t len;
        bool device_writes;
    };

    GuestDriver(VirtioRig& rig, bool legacy) : rig_(rig), legacy_(legacy) {}

    // The spec's initialisation sequence; returns the status read back at the end.
    uint32_t init(uint64_t features = virtio::feature(virtio::kFRingIndirectDesc))
    {
        using namespace virtio;
        std::memset(rig_.host(kDesc), 0, 0x2000);
        avail_idx_ = 0;
        rig_.set(VirtioMmio::kStatus, 0);
        rig_.set(VirtioMmio::kStatus, kStatusAcknowledge);
        rig_.set(VirtioMmio::kStatus, kStatusAcknowledge | kStatusDriver);
        if (legacy_) {
            rig_.set(VirtioMmio::kDriverFeaturesSel, 0);
            rig_.set(VirtioMmio::kDriverFeatures, uint32_t(features));
            rig_.set(VirtioMmio::kGuestPageSize, 4096);
            rig_.set(VirtioMmio::kQueueSel, 0);
            rig_.set(VirtioMmio::kQueueNum, kQueueSize);
            rig_.set(VirtioMmio::kQueueAlign, 4096);
            rig_.set(VirtioMmio::kQueuePfn, uint32_t(kDesc >> 12));
        } else {
            features |= feature(kFVersion1);
            for (uint32_t sel = 0; sel < 2; ++sel) {
                rig_.set(VirtioMmio::kDriverFeaturesSel, sel);
                rig_.set(VirtioMmio::kDriverFeatures, uint32_t(features >> (32 * sel)));
            }
            rig_.set(VirtioMmio::kStatus, kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk);
            if (!(rig_.reg(VirtioMmio::kStatus) & kStatusFeaturesOk)) return rig_.reg(VirtioMmio::kStatus);
            rig_.set(VirtioMmio::kQueueSel, 0);
            rig_.set(VirtioMmio::kQueueNum, kQueueSize);
            set64(VirtioMmio::kQueueDescLow, kDesc);
            set64(VirtioMmio::kQueueDriverLow, kAvail);
            set64(VirtioMmio::kQueueDeviceLow, kUsed);
            rig_.set(VirtioMmio::kQueueReady, 1);
        }
        const uint32_t ok = (legacy_ ? 0 : kStatusFeaturesOk) | kStatusAcknowledge | kStatusDriver | kStatusDriverOk;
        rig_.set(VirtioMmio::kStatus, ok);
        return rig_.reg(VirtioMmio::kStatus);
    }

    // Writes `bufs` as the chain starting at descriptor `first` and makes it available.
    void submit(const std::vector<Buffer>& bufs, uint16_t first = 0, bool kick = true)
    {
        for (size_t i = 0; i < bufs.size(); ++i) {
            const uint16_t flags = uint16_t((i + 1 < bufs.size() ? virtio::kDescFNext : 0) |
                                            (bufs[i].device_writes ? virtio::kDescFWrite : 0));
            write_desc(uint16_t(first + i), bufs[i].addr, bufs[i].len, flags, uint16_t(first + i + 1));
        }
        publish(first, kick);
    }
    void write_desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next, hwaddr table = kDesc)
    {
        uint8_t* d = rig_.host(table + 16 * i);
        std::memcpy(d, &addr, 8);
        std::memcpy(d + 8, &len, 4);
        std::memcpy(d + 12, &flags, 2);
        std::memcpy(d + 14, &next, 2);
    }
    // Puts `head` in the available ring and bumps its index (then notifies, if `kick`).
    void publish(uint16_t head, bool kick = true)
    {
        std::memcpy(rig_.host(kAvail + 4 + 2 * (avail_idx_ % kQueueSize)), &head, 2);
        ++avail_idx_;
        std::atomic_ref<uint16_t>(*reinterpret_cast<uint16_t*>(rig_.host(kAvail + 2)))
            .store(avail_idx_, std::memory_order_release);
        if (kick) rig_.set(VirtioMmio::kQueueNotify, 0);
    }
    uint16_t used_idx()
    {
        return std::atomic_ref<uint16_t>(*reinterpret_cast<uint16_t*>(rig_.host(kUsed + 2)))
            .load(std::memory_order_acquire);
    }
    uint32_t used_len(uint16_t n)
    {
        uint32_t len;
        std::memcpy(&len, rig_.host(kUsed + 4 + 8 * (n % kQueueSize) + 4), 4);
        return len;
    }
    // Polls the main loop until `n` chains have been used (the device may run elsewhere).
    bool wait_used(uint16_t n)
    {
        return poll_until(main_context(), [&] { return used_idx() >= n; });
    }
    uint16_t avail_idx() const { return avail_idx_; }

private:
    void set64(hwaddr low, uint64_t v)
    {
        rig_.set(low, uint32_t(v));
        rig_.set(low + 4, uint32_t(v >> 32));
    }

    VirtioRig& rig_;
    const bool legacy_;
    uint16_t avail_idx_ = 0;
};

}  // namespace locklab::test
