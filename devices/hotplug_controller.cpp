#include "devices/hotplug_controller.h"

#include <stdexcept>

#include <fmt/format.h>

namespace locklab {

uint64_t HotplugController::slot_base(unsigned slot)
{
    check_slot(slot);
    if (slot < kVirtioSlots) return virt::kVirtioBase + virt::kVirtioStride * slot;
    return virt::kResearchBase + virt::kResearchStride * (slot - kFirstResearchSlot);
}

unsigned HotplugController::slot_irq(unsigned slot)
{
    check_slot(slot);
    return slot < kVirtioSlots ? virt::kVirtioIrqBase + slot : 0;
}

void HotplugController::check_slot(unsigned slot)
{
    if (slot >= kSlots)
        throw std::out_of_range(fmt::format("hot-plug controller: slot {} (0..{} exist)", slot, kSlots - 1));
}

HotplugController::HotplugController(uint64_t region_size, IrqLine irq)
    : MmioDevice("hotplug-controller", region_size, 4, 4), irq_(irq)
{
    lock_domain().bql_free = true;  // its state is under mutex_
}

void HotplugController::slot_inserted(unsigned slot, SlotType type, uint32_t size, bool notify)
{
    check_slot(slot);
    std::lock_guard lk(mutex_);
    slots_[slot] = Slot{type, size, false};
    if (notify) raise_event_locked(slot);
}

void HotplugController::request_eject(unsigned slot)
{
    check_slot(slot);
    std::lock_guard lk(mutex_);
    slots_[slot].eject_requested = true;
    raise_event_locked(slot);
}

void HotplugController::slot_removed(unsigned slot)
{
    check_slot(slot);
    std::lock_guard lk(mutex_);
    slots_[slot] = Slot{};
    raise_event_locked(slot);
}

void HotplugController::set_eject_handler(std::function<void(unsigned)> handler)
{
    std::lock_guard lk(mutex_);
    eject_handler_ = std::move(handler);
}

uint32_t HotplugController::event_status() const
{
    std::lock_guard lk(mutex_);
    return event_status_;
}

uint32_t HotplugController::slot_status(unsigned slot) const
{
    check_slot(slot);
    std::lock_guard lk(mutex_);
    return status_locked(slot);
}

uint32_t HotplugController::status_locked(unsigned slot) const
{
    const Slot& s = slots_[slot];
    return (s.type != SlotType::Empty ? kPresent : 0) | (s.eject_requested ? kEjectRequest : 0);
}

void HotplugController::raise_event_locked(unsigned slot)
{
    event_status_ |= 1u << slot;
    update_irq_locked();
}

void HotplugController::update_irq_locked() { irq_.set(event_status_ != 0); }

void HotplugController::do_reset()
{
    std::lock_guard lk(mutex_);
    event_status_ = 0;
    update_irq_locked();
}

MemTx HotplugController::mmio_read(hwaddr offset, unsigned, uint64_t& value)
{
    std::lock_guard lk(mutex_);
    value = 0;
    switch (offset) {
    case kMagic: value = kMagicValue; return MemTx::Ok;
    case kVersionReg: value = kVersion; return MemTx::Ok;
    case kSlotCount: value = kSlots; return MemTx::Ok;
    case kEventStatus: value = event_status_; return MemTx::Ok;
    default: break;
    }
    if (offset >= kSlotBase && offset < kSlotBase + kSlotStride * kSlots) {
        const auto slot = unsigned((offset - kSlotBase) / kSlotStride);
        const Slot& s = slots_[slot];
        switch ((offset - kSlotBase) % kSlotStride) {
        case kStatus: value = status_locked(slot); return MemTx::Ok;
        case kType: value = uint32_t(s.type); return MemTx::Ok;
        case kBaseLo: value = uint32_t(slot_base(slot)); return MemTx::Ok;
        case kBaseHi: value = uint32_t(slot_base(slot) >> 32); return MemTx::Ok;
        case kSize: value = s.size; return MemTx::Ok;
        case kIrq: value = slot_irq(slot); return MemTx::Ok;
        default: break;
        }
    }
    return reserved_read(offset, value);
}

MemTx HotplugController::mmio_write(hwaddr offset, unsigned, uint64_t value)
{
    std::function<void(unsigned)> handler;
    unsigned slot = 0;
    {
        std::lock_guard lk(mutex_);
        if (offset == kEventStatus) {
            event_status_ &= ~uint32_t(value);
            update_irq_locked();
            return MemTx::Ok;
        }
        const bool is_command = offset >= kSlotBase && offset < kSlotBase + kSlotStride * kSlots &&
                                (offset - kSlotBase) % kSlotStride == kCommand;
        if (!is_command) return reserved_write(offset);
        slot = unsigned((offset - kSlotBase) / kSlotStride);
        if (value != kCommandEject) {
            guest_error("unknown slot command (ignored)", offset);
            return MemTx::Ok;
        }
        if (!slots_[slot].eject_requested) {
            guest_error("EJECT of a slot without an eject request (ignored)", offset);
            return MemTx::Ok;
        }
        handler = eject_handler_;
    }
    if (handler) handler(slot);
    return MemTx::Ok;
}

}  // namespace locklab
