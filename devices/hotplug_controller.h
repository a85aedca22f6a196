// The hot-plug controller: locklab's own device (QEMU's `virt` has none) through which a guest
// learns that devices arrived or are to be removed, and acknowledges removals (DESIGN.md "Hot-plug
// and hot-unplug"). It only reports and relays: the system layer (system/hotplug.h) creates, maps,
// unmaps and frees the devices and tells the controller.
//
// Device tree: /soc/hotplug@102000, compatible "locklab,hotplug-controller-1", reg, interrupts = <12>,
// interrupt-parent = the PLIC.
//
// Slots (kSlots): 0..7 are the virtio-mmio slots of the virt board (base 0x1000_1000 + 0x1000*i,
// PLIC source 1 + i; nothing plugs into them yet), 8..23 the research slots (base 0x1100_0000 +
// 0x1000*(i - 8), no interrupt) that mmio-scratch devices go into.
//
// Registers (32 bits, 4-byte accesses only):
//   0x000 MAGIC         RO  kMagicValue ("LKHP")
//   0x004 VERSION       RO  1
//   0x008 SLOT_COUNT    RO  kSlots
//   0x00c EVENT_STATUS  R/W1C  bit i: slot i changed (a device arrived, its eject was requested, or
//                       it is gone); write 1s to clear. The interrupt is high while any bit is set.
//   0x100 + 0x20*i      slot i:
//     +0x00 STATUS      RO  bit 0 PRESENT, bit 1 EJECT_REQUEST (set by device_del, cleared when the
//                           device is gone)
//     +0x04 TYPE        RO  SlotType of the device present (0 when empty)
//     +0x08 BASE_LO     RO  guest-physical base of the slot (also when empty)
//     +0x0c BASE_HI     RO
//     +0x10 SIZE        RO  size of the device's registers (0 when empty)
//     +0x14 IRQ         RO  PLIC source of the slot, 0 for none
//     +0x18 COMMAND     WO  kCommandEject: the guest has quiesced its driver; the removal goes on.
//                           Ignored (guest error logged) unless an eject was requested.
// Other offsets are reserved (read 0, writes ignored, logged once).
//
// The guest's side of a removal: take the interrupt, read and clear EVENT_STATUS, find the slot
// with EJECT_REQUEST, stop using the device, write kCommandEject to its COMMAND, then wait for its
// event (PRESENT goes to 0) before reusing the slot. A surprise removal skips the request.
//
// Threading: the slot table has its own leaf-side mutex (taken by MMIO callbacks and by the system
// layer from any thread; the interrupt line is driven under it, the PLIC's lock being a leaf), so
// the controller works the same under every lock model and is marked safe without the BQL.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <mutex>

#include "devices/mmio_device.h"
#include "devices/virt_memmap.h"
#include "qom/irq.h"

namespace locklab {

class HotplugController final : public MmioDevice {
public:
    static constexpr unsigned kVirtioSlots = unsigned(virt::kVirtioSlots);
    static constexpr unsigned kResearchSlots = unsigned(virt::kResearchSlots);
    static constexpr unsigned kSlots = kVirtioSlots + kResearchSlots;
    static constexpr unsigned kFirstResearchSlot = kVirtioSlots;
    static constexpr uint32_t kMagicValue = 0x4c4b'4850;  // "LKHP"
    static constexpr uint32_t kVersion = 1;
    static constexpr uint32_t kCommandEject = 1;
    enum : hwaddr {
        kMagic = 0x000, kVersionReg = 0x004, kSlotCount = 0x008, kEventStatus = 0x00c,
        kSlotBase = 0x100, kSlotStride = 0x20,
        // offsets inside a slot's block
        kStatus = 0x00, kType = 0x04, kBaseLo = 0x08, kBaseHi = 0x0c, kSize = 0x10, kIrq = 0x14,
        kCommand = 0x18,
    };
    static constexpr uint32_t kPresent = 1u << 0, kEjectRequest = 1u << 1;  // slot STATUS bits
    enum class SlotType : uint32_t { Empty = 0, VirtioMmio = 1, MmioScratch = 2 };

    static uint64_t slot_base(unsigned slot);  // the slot's guest-physical base
    static unsigned slot_irq(unsigned slot);   // its PLIC source, 0 for none

    HotplugController(uint64_t region_size, IrqLine irq);

    // --- the system layer's side (any thread) ---
    // A device of `type` with `size` bytes of registers now sits in `slot` (mapped already). With
    // `notify`, the guest gets an event (hot-plug); without, it is there from reset (cold-plug).
    void slot_inserted(unsigned slot, SlotType type, uint32_t size, bool notify);
    // Ask the guest to quiesce and eject the device in `slot` (sets EJECT_REQUEST, raises an event).
    void request_eject(unsigned slot);
    // The device in `slot` is gone (unmapped and unrealized): clear the slot, raise an event.
    void slot_removed(unsigned slot);
    // Called when the guest writes kCommandEject to a slot with an eject requested, on the writing
    // vCPU's thread, outside the controller's mutex; it must only queue work (a removal waits for
    // every vCPU). Set before the guest runs; an empty function detaches.
    void set_eject_handler(std::function<void(unsigned slot)> handler);

    uint32_t event_status() const;
    uint32_t slot_status(unsigned slot) const;

private:
    MemTx mmio_read(hwaddr offset, unsigned size, uint64_t& value) override;
    MemTx mmio_write(hwaddr offset, unsigned size, uint64_t value) override;
    void do_reset() override;  // events cleared; slots keep their devices (they are hardware)

    struct Slot {
        SlotType type = SlotType::Empty;
        uint32_t size = 0;
        bool eject_requested = false;
    };
    static void check_slot(unsigned slot);
    uint32_t status_locked(unsigned slot) const;
    void raise_event_locked(unsigned slot);
    void update_irq_locked();

    const IrqLine irq_;                                // immutable after construction
    mutable std::mutex mutex_;                         // taken before the PLIC's: protects the rest
    std::array<Slot, kSlots> slots_{};                 // mutex_
    uint32_t event_status_ = 0;                        // mutex_
    std::function<void(unsigned)> eject_handler_;      // mutex_ (copied out before the call)
};

}  // namespace locklab
