// Pieces of the virtio-blk system tests: a minimal modern virtio-mmio block driver acting as the
// guest (several requests in flight at once), and two virtio-mmio transports with drives on gated
// in-memory disks (tests/devices/test_virtio_driver.h: requests stay in flight until the test opens
// the gate) and an IOThread behind a VirtioBlkPlug.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <thread>

#include "devices/virtio_blk.h"
#include "devices/virtio_defs.h"
#include "devices/virtio_mmio.h"
#include "devices/virt_memmap.h"
#include "loop/main_loop.h"
#include "system/virtio_blk_plug.h"
#include "tests/devices/device_fixture.h"
#include "tests/devices/test_virtio_driver.h"

namespace locklab::test {

using namespace std::chrono_literals;

inline constexpr hwaddr kRam = virt::kDramBase;
inline constexpr uint64_t kRamSize = 1 << 20;
inline constexpr uint64_t kSector = virtio_blk::kSectorSize;

// The guest's side: a minimal modern virtio-mmio block driver on guest RAM, one queue of 64
// entries; request r uses request slot r % kSlots (descriptors 3s .. 3s+2 and buffer s), so at
// most kSlots requests may be outstanding. After init(), submit/notify/status/used_idx use no
// Catch macros and may run on another thread (a vCPU's), one at a time.
class BlkGuest {
public:
    static constexpr uint16_t kQueueSize = 64;
    static constexpr hwaddr kDesc = kRam, kAvail = kRam + 0x1000, kUsed = kRam + 0x2000, kBufs = kRam + 0x10000;
    static constexpr hwaddr kBufStride = 0x400, kData = 16, kStatus = 16 + kSector;
    static constexpr unsigned kSlots = kQueueSize / 3;

    // `ram`: the host address of guest RAM (kRam), for the ring indexes the device also touches.
    BlkGuest(AddressSpace& as, hwaddr base, uint8_t* ram) : as_(as), base_(base), ram_(ram) {}

    void init()
    {
        using namespace virtio;
        reg(VirtioMmio::kStatus, 0);
        std::memset(host(kDesc), 0, kBufs - kDesc);  // fresh rings: used idx 0
        REQUIRE(read_reg(as_, base_ + VirtioMmio::kDeviceId, 4) == kIdBlock);
        reg(VirtioMmio::kStatus, kStatusAcknowledge | kStatusDriver);
        reg(VirtioMmio::kDriverFeaturesSel, 1);
        reg(VirtioMmio::kDriverFeatures, 1);  // VIRTIO_F_VERSION_1 (bit 32)
        reg(VirtioMmio::kDriverFeaturesSel, 0);
        reg(VirtioMmio::kDriverFeatures, 0);
        reg(VirtioMmio::kStatus, kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk);
        REQUIRE((read_reg(as_, base_ + VirtioMmio::kStatus, 4) & kStatusFeaturesOk) != 0);
        reg(VirtioMmio::kQueueSel, 0);
        reg(VirtioMmio::kQueueNum, kQueueSize);
        reg(VirtioMmio::kQueueDescLow, uint32_t(kDesc));
        reg(VirtioMmio::kQueueDescHigh, uint32_t(kDesc >> 32));
        reg(VirtioMmio::kQueueDriverLow, uint32_t(kAvail));
        reg(VirtioMmio::kQueueDriverHigh, uint32_t(kAvail >> 32));
        reg(VirtioMmio::kQueueDeviceLow, uint32_t(kUsed));
        reg(VirtioMmio::kQueueDeviceHigh, uint32_t(kUsed >> 32));
        reg(VirtioMmio::kQueueReady, 1);
        reg(VirtioMmio::kStatus, kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk | kStatusDriverOk);
    }

    // Queues request r: write (the sector filled with r's pattern) or read of `sector`.
    void submit(unsigned r, bool write, uint64_t sector)
    {
        const unsigned s = r % kSlots;
        const hwaddr buf = buffer(r);
        const uint32_t type = write ? virtio_blk::kTOut : virtio_blk::kTIn;
        put(buf, 4, type);
        put(buf + 4, 4, 0);
        put(buf + 8, 8, sector);
        std::memset(host(buf + kData), write ? pattern(r) : 0, kSector);
        put(buf + kStatus, 1, 0xff);
        descriptor(3 * s, buf, 16, virtio::kDescFNext, 3 * s + 1);
        descriptor(3 * s + 1, buf + kData, kSector, uint16_t(virtio::kDescFNext | (write ? 0 : virtio::kDescFWrite)),
                   3 * s + 2);
        descriptor(3 * s + 2, buf + kStatus, 1, virtio::kDescFWrite, 0);
        put(kAvail + 4 + 2 * (avail_idx_ % kQueueSize), 2, 3 * s);
        ++avail_idx_;
        ring_index(kAvail + 2).store(avail_idx_, std::memory_order_release);
    }
    // QueueNotify; false if the access failed.
    bool notify() { return as_.write(base_ + VirtioMmio::kQueueNotify, 4, 0) == MemTx::Ok; }

    uint16_t used_idx() { return ring_index(kUsed + 2).load(std::memory_order_acquire); }
    uint8_t status(unsigned r) { return uint8_t(get(buffer(r) + kStatus, 1)); }
    // Whether request r's data buffer holds request `w`'s pattern in every byte.
    bool data_is(unsigned r, unsigned w)
    {
        const uint8_t* data = host(buffer(r) + kData);
        return std::all_of(data, data + kSector, [&](uint8_t b) { return b == pattern(w); });
    }
    static uint8_t pattern(unsigned r) { return uint8_t(0x40 + r); }

private:
    std::atomic_ref<uint16_t> ring_index(hwaddr addr)
    {
        return std::atomic_ref<uint16_t>(*reinterpret_cast<uint16_t*>(host(addr)));
    }
    void reg(hwaddr offset, uint32_t v) { write_reg(as_, base_ + offset, 4, v); }
    static hwaddr buffer(unsigned r) { return kBufs + (r % kSlots) * kBufStride; }
    uint8_t* host(hwaddr addr) { return ram_ + (addr - kRam); }
    void put(hwaddr addr, unsigned size, uint64_t v) { std::memcpy(host(addr), &v, size); }
    uint64_t get(hwaddr addr, unsigned size)
    {
        uint64_t v = 0;
        std::memcpy(&v, host(addr), size);
        return v;
    }
    void descriptor(unsigned i, hwaddr addr, uint32_t len, uint16_t flags, unsigned next)
    {
        const hwaddr d = kDesc + i * virtio::kDescSize;
        put(d, 8, addr);
        put(d + 8, 4, len);
        put(d + 12, 2, flags);
        put(d + 14, 2, next);
    }

    AddressSpace& as_;
    const hwaddr base_;
    uint8_t* const ram_;
    uint16_t avail_idx_ = 0;
};

// Waits until cond() holds or 5 s pass, polling `serve` (without blocking) meanwhile if given:
// conditions made true by other threads do not wake a blocked poll.
inline bool wait_until(const std::function<bool()>& cond, AioContext* serve = nullptr)
{
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!cond() && std::chrono::steady_clock::now() < deadline) {
        if (!serve || !serve->poll(false)) std::this_thread::sleep_for(1ms);
    }
    return cond();
}

// Opens `gate` from another thread 50 ms from now (joined when the result goes): for a drained
// section the calling thread waits in while the driver holds requests at the gate.
inline std::jthread open_gate_later(Gate& gate)
{
    return std::jthread([&gate] {
        std::this_thread::sleep_for(50ms);
        gate.open();
    });
}

struct PlugFixture {
    std::unique_ptr<MemoryRegion> ram = MemoryRegion::make_ram("ram", kRamSize);  // outlives `as`
    AddressSpace as{"virtio-plug-test"};
    FakeIrqSink irq;
    AioContext& main = main_context();
    IOThreadRegistry iothreads;
    std::unique_ptr<Mapped<VirtioMmio>> slot0, slot1;
    MemoryDisk* disk0 = nullptr;  // d0's, owned by its backend
    Gate* gate = nullptr;         // disk0's: holds d0's requests in the driver while closed
    DriveRegistry drives{{}, main_context()};
    std::unique_ptr<VirtioBlkPlug> plug;

    PlugFixture()
    {
        main.attach_current_thread();
        as.add_region(kRam, *ram);
        slot0 = std::make_unique<Mapped<VirtioMmio>>(as, slot_base(0), make_object<VirtioMmio>(IrqLine(&irq, 1), false));
        slot1 = std::make_unique<Mapped<VirtioMmio>>(as, slot_base(1), make_object<VirtioMmio>(IrqLine(&irq, 2), false));
        iothreads.create("io0");
        auto d0 = std::make_unique<MemoryDisk>(64 * kSector);
        disk0 = d0.get();
        gate = &d0->gate;
        drives.insert("d0", std::move(d0));
        drives.insert("d1", std::make_unique<MemoryDisk>(64 * kSector));
        plug = std::make_unique<VirtioBlkPlug>(std::vector<VirtioMmio*>{&**slot0, &**slot1}, drives, iothreads, as, main);
    }
    ~PlugFixture()
    {
        for (unsigned s = 0; s < plug->slots(); ++s)
            if (!plug->slot_free(s)) plug->unplug(s);
    }
    static hwaddr slot_base(unsigned i) { return virt::kVirtioBase + virt::kVirtioStride * i; }
    BlkGuest guest(unsigned slot) { return BlkGuest(as, slot_base(slot), ram->host()); }
    std::pair<unsigned, Ref<VirtioDevice>> add(const char* text, const char* id = "blk0")
    {
        DeviceSpec spec = parse_device_spec(text);
        return plug->plug(id, spec);
    }
    AioContext& io0() { return iothreads.find("io0")->context(); }
};

}  // namespace locklab::test
