// VirtioMmio: the virtio-mmio transport (virtio 1.x spec 4.2; QEMU's hw/virtio/virtio-mmio.c) in
// one of the `virt` board's eight slots (0x1000_1000 + 0x1000*i, PLIC source 1+i). The transport is
// always mapped; a VirtioDevice is plugged into it and unplugged from it (QEMU's virtio-mmio bus).
//
// Register layout (0x200 bytes; the rest of the 0x1000 slot is unassigned, as in QEMU). Registers
// are 32-bit, config space (0x100) takes 1, 2 and 4 bytes; an 8-byte access is two 4-byte ones,
// low word first (QEMU 7.2 does the same: checked with a bare-metal probe).
//   both    0x000 MagicValue 0x74726976, 0x004 Version (1 legacy, 2 modern), 0x008 DeviceID,
//           0x00c VendorID 0x554d4551, 0x010/0x014 DeviceFeatures/Sel, 0x020/0x024
//           DriverFeatures/Sel, 0x030 QueueSel, 0x034 QueueNumMax (1024 for every queue the
//           device has, as QEMU; 0 otherwise), 0x038 QueueNum, 0x050
//           QueueNotify, 0x060 InterruptStatus, 0x064 InterruptACK, 0x070 Status, 0x100+ config
//   legacy  0x028 GuestPageSize, 0x03c QueueAlign, 0x040 QueuePFN (0 resets the device, as QEMU)
//   modern  0x044 QueueReady, 0x080..0x0a4 QueueDesc/Driver/Device Low/High, 0x0ac..0x0bc SHM
//           (ShmLen reads -1: no shared memory), 0x0fc ConfigGeneration
// The version is chosen per machine like QEMU's `-global virtio-mmio.force-legacy` (legacy by
// default, as QEMU 7.2). Modern drivers must accept VIRTIO_F_VERSION_1 (else FEATURES_OK stays
// clear); legacy devices do not offer it. Registers of the other layout, write-only registers read,
// read-only ones written and other access sizes: guest error logged once, read 0 / write ignored.
// An empty slot reads like QEMU's: magic, version, vendor, everything else 0; writes are ignored.
//
// Interrupt: level = (InterruptStatus != 0); InterruptACK clears bits.
//
// Reset (Status 0, or legacy QueuePFN 0): the registers reset at once, the device asynchronously
// (VirtioDevice::request_reset). While requests from before the reset are still in flight
// (VirtioDevice::reset_in_progress) Status reads the value it had before the reset, and 0 only
// once none can touch guest memory any more: a modern driver waits for 0 as the spec requires.
// Both layouts behave alike; the legacy interface has no such rule, so a legacy driver that
// re-initialises without reading Status back may still see a request from before the reset
// write its buffers (QEMU 7.2 drains synchronously instead).
//
// Threading:
//   - register accesses arrive on vCPU threads under this transport's device lock (the lock model;
//     the transport is safe without the BQL). device_, the status/feature/queue registers below
//     are protected by it;
//   - the plugged device's ring side (its AioContext: main loop or IOThread) raises interrupts and
//     marks the device broken through VirtioTransport, touching only the atomics isr_, status_
//     and config_generation_, and the line under irq_mutex_ (a leaf above the PLIC's leaf lock);
//   - plug()/unplug() run in the main loop's thread (or before the loop runs), never under the BQL.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>

#include "devices/mmio_device.h"
#include "devices/virtio_device.h"
#include "qom/irq.h"

namespace locklab {

class VirtioMmio final : public MmioDevice, private VirtioTransport {
public:
    static constexpr uint64_t kRegionSize = 0x200;
    static constexpr uint32_t kMagicValue = 0x7472'6976;   // "virt"
    static constexpr uint32_t kVendorId = 0x554d'4551;     // "QEMU"
    enum : hwaddr {
        kMagic = 0x000, kVersion = 0x004, kDeviceId = 0x008, kVendor = 0x00c,
        kDeviceFeatures = 0x010, kDeviceFeaturesSel = 0x014,
        kDriverFeatures = 0x020, kDriverFeaturesSel = 0x024,
        kGuestPageSize = 0x028,  // legacy
        kQueueSel = 0x030, kQueueNumMax = 0x034, kQueueNum = 0x038,
        kQueueAlign = 0x03c, kQueuePfn = 0x040,  // legacy
        kQueueReady = 0x044,                     // modern
        kQueueNotify = 0x050, kInterruptStatus = 0x060, kInterruptAck = 0x064, kStatus = 0x070,
        kQueueDescLow = 0x080, kQueueDescHigh = 0x084, kQueueDriverLow = 0x090, kQueueDriverHigh = 0x094,
        kQueueDeviceLow = 0x0a0, kQueueDeviceHigh = 0x0a4,
        kShmSel = 0x0ac, kShmLenLow = 0x0b0, kShmLenHigh = 0x0b4, kShmBaseLow = 0x0b8, kShmBaseHigh = 0x0bc,
        kConfigGeneration = 0x0fc, kConfig = 0x100,
    };

    // `legacy`: register layout version 1 (QEMU's default) instead of 2. `ioeventfd`: QueueNotify
    // only signals the device's event loop; off (the virt board's default, as QEMU under TCG, which
    // has no ioeventfd for virtio-mmio), a device in the main loop handles the kick on the vCPU
    // (VirtioDevice::kick). A device in an IOThread is always signalled.
    VirtioMmio(IrqLine irq, bool legacy, bool ioeventfd = true);
    ~VirtioMmio() override;

    bool legacy() const { return legacy_; }

    // Plugs `dev` (not plugged elsewhere, not realized; its queues must fit the transport) and
    // realizes it; the guest sees it from the next register access. Throws std::logic_error if the
    // slot is occupied or the transport is unrealized.
    void plug(Ref<VirtioDevice> dev);
    // Stops forwarding (from now on the slot reads as empty and the line is low), drains the
    // device (requests in flight complete; nothing new starts), unrealizes and unbinds it. Returns
    // it (empty Ref if the slot was empty).
    Ref<VirtioDevice> unplug();
    // The plugged device, or nullptr. Valid while the caller keeps it plugged.
    VirtioDevice* device() const;

    uint32_t interrupt_status() const { return isr_.load(); }
    uint32_t status() const { return status_.load(); }

protected:
    MemTx mmio_read(hwaddr offset, unsigned size, uint64_t& value) override;
    MemTx mmio_write(hwaddr offset, unsigned size, uint64_t value) override;
    MemTx access32_read(hwaddr offset, unsigned size, uint64_t& value);
    MemTx access32_write(hwaddr offset, unsigned size, uint64_t value);
    void do_reset() override;
    void do_unrealize() override;

private:
    struct QueueRegs {
        uint32_t num = 0;      // QueueNum (power-of-two checks happen at enable)
        bool ready = false;   // modern QueueReady / legacy QueuePFN != 0
        uint64_t desc = 0, driver = 0, device = 0;
        uint32_t align = 4096;  // legacy QueueAlign
        uint32_t pfn = 0;       // legacy
    };

    // VirtioTransport (ring side, any thread)
    void raise_interrupt(uint32_t isr_bits) override;
    void device_broken(const char* what, unsigned queue) override;

    uint32_t read_register(VirtioDevice& dev, hwaddr offset);
    void write_register(VirtioDevice& dev, hwaddr offset, uint32_t value);
    void write_status(VirtioDevice& dev, uint32_t value);
    void write_queue_pfn(VirtioDevice& dev, uint32_t value);
    void write_queue_ready(VirtioDevice& dev, uint32_t value);
    QueueRegs* selected_queue(VirtioDevice& dev);  // nullptr if QueueSel names no queue
    uint64_t offered_features(const VirtioDevice& dev) const;
    VirtQueueConfig queue_config(const QueueRegs& q) const;
    void reset_registers();  // the transport's side of a device reset (device lock held)
    void reset_device(VirtioDevice& dev);  // the driver's reset: registers, then the device's
    void update_irq();

    const bool legacy_;
    const bool ioeventfd_;
    const IrqLine irq_;

    Ref<VirtioDevice> device_;  // device lock; also changed by plug/unplug under it
    // Device lock:
    uint32_t device_features_sel_ = 0, driver_features_sel_ = 0, queue_sel_ = 0;
    uint64_t driver_features_ = 0;
    uint32_t guest_page_shift_ = 0;  // legacy GuestPageSize, as a shift (QEMU: ctz)
    std::array<QueueRegs, 32> queues_{};  // queues beyond the device's count are never used

    // Shared with the plugged device's ring side:
    std::atomic<uint32_t> status_{0};             // written under the device lock; NEEDS_RESET set by the ring side
    std::atomic<uint32_t> isr_{0};                // set by the ring side, cleared by InterruptACK/reset
    std::atomic<uint32_t> config_generation_{0};  // bumped on config changes
    uint32_t status_before_reset_ = 0;  // device lock: Status as read while a reset is in progress
    std::mutex irq_mutex_;  // leaf lock (only the PLIC's is taken inside): serialises driving the line
};

}  // namespace locklab
