// Shared pieces of the virtio tests: an in-memory BlockDriver whose calls can be held at a gate
// (to keep requests in flight), a rig with guest RAM and one virtio-mmio transport mapped at slot
// 0, and a small guest-side driver that speaks the transport's registers and a split virtqueue in
// that RAM, the way a bare-metal guest would.
#pragma once

#include <catch2/catch.hpp>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "block/block_backend.h"
#include "block/io_vector.h"
#include "devices/virtio_defs.h"
#include "devices/virtio_mmio.h"
#include "locking/rcu.h"
#include "loop/main_loop.h"
#include "tests/devices/device_fixture.h"

namespace locklab::test {

// Driver calls wait here while it is closed.
class Gate {
public:
    void close() { std::lock_guard lk(m_); open_ = false; }
    void open()
    {
        {
            std::lock_guard lk(m_);
            open_ = true;
        }
        cv_.notify_all();
    }
    void pass()
    {
        std::unique_lock lk(m_);
        ++waiting_;
        cv_.wait(lk, [&] { return open_; });
        --waiting_;
    }
    unsigned waiting()
    {
        std::lock_guard lk(m_);
        return waiting_;
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    bool open_ = true;      // protected by m_
    unsigned waiting_ = 0;  // protected by m_
};

// An in-memory disk; every call first passes the gate. Counts flushes; optionally read-only and
// with discard/write-zeroes.
class MemoryDisk final : public BlockDriver {
public:
    MemoryDisk(size_t size, bool read_only = false, bool zeroing = true)
        : bytes_(size, 0), read_only_(read_only), zeroing_(zeroing)
    {
    }
    const char* format_name() const override { return "memory"; }
    uint64_t length() const override { return bytes_.size(); }
    bool read_only() const override { return read_only_; }
    int read(uint64_t offset, const IoVector& iov) override
    {
        gate.pass();
        std::lock_guard lk(m_);
        if (!range_in_disk(offset, iov_size(iov), length())) return -EINVAL;
        iov_from_buffer(iov, bytes_.data() + offset);
        return 0;
    }
    int write(uint64_t offset, const IoVector& iov) override
    {
        gate.pass();
        std::lock_guard lk(m_);
        if (read_only_) return -EROFS;
        if (!range_in_disk(offset, iov_size(iov), length())) return -EINVAL;
        iov_to_buffer(iov, bytes_.data() + offset);
        return 0;
    }
    int flush() override
    {
        gate.pass();
        std::lock_guard lk(m_);
        ++flushes_;
        return 0;
    }
    int write_zeroes(uint64_t offset, uint64_t bytes, bool) override { return zero(offset, bytes); }
    int discard(uint64_t offset, uint64_t bytes) override { return zero(offset, bytes); }

    std::vector<uint8_t> contents()
    {
        std::lock_guard lk(m_);
        return bytes_;
    }
    void fill(uint64_t offset, const std::vector<uint8_t>& data)
    {
        std::lock_guard lk(m_);
        std::memcpy(bytes_.data() + offset, data.data(), data.size());
    }
    int flushes()
    {
        std::lock_guard lk(m_);
        return flushes_;
    }

    Gate gate;

private:
    int zero(uint64_t offset, uint64_t bytes)
    {
        if (!zeroing_) return -ENOTSUP;
        std::lock_guard lk(m_);
        if (!range_in_disk(offset, bytes, length())) return -EINVAL;
        std::memset(bytes_.data() + offset, 0, bytes);
        return 0;
    }
    std::mutex m_;
    std::vector<uint8_t> bytes_;  // protected by m_
    int flushes_ = 0;             // protected by m_
    const bool read_only_;
    const bool zeroing_;
};

// Guest RAM at 0x8000_0000 and one transport at the first virtio slot, IRQ line 1 on a fake sink.
// The test thread is the main loop's home thread.
class VirtioRig {
public:
    static constexpr hwaddr kRam = 0x8000'0000, kRamSize = 1 << 20, kSlot = 0x1000'1000;

    explicit VirtioRig(bool legacy)
        : ram_(MemoryRegion::make_ram("virtio-test.ram", kRamSize)),
          mmio_(make_object<VirtioMmio>(IrqLine(&irq, 1), legacy))
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
