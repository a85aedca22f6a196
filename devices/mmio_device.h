// MmioDevice: the common base of the board's memory-mapped devices. It owns the device's one MMIO
// region and forwards the region's callbacks to two virtual functions, so a device only writes its
// register decoding. It also holds the two policies every device shares:
//
//  - run_async(): the protection asynchronous work (timer and fd-handler callbacks in an AioContext)
//    takes before touching device state. MMIO callbacks already run under the active lock model (the
//    dispatch path takes it); asynchronous callbacks must take the same protection themselves. Today
//    that is the BQL (`global` lock model); issue 4 turns it into a lock-model choice, here only.
//  - guest_error(): a guest doing something the device does not accept is logged once per kind;
//    reserved_read()/reserved_write() treat holes in the register map as QEMU does.
//
// "Device lock" in the devices' field comments means exactly this protection.
#pragma once

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "locking/bql.h"
#include "memory/memory_region.h"
#include "qom/device.h"

namespace locklab {

class MmioDevice : public Device {
public:
    const char* type_name() const override { return type_; }
    MemoryRegion& mmio() { return region_; }
    // System reset (QEMU's device reset): registers back to their power-on values. Runs under the
    // device lock; the machine calls it while no vCPU runs.
    void reset();
    uint64_t guest_errors() const;  // how many guest errors this device has seen

protected:
    // The device lock for work that does not arrive through the dispatch path (timer and fd-handler
    // callbacks, unrealize): the BQL today (see the header comment).
    using DeviceLockGuard = BqlLockGuard;

    // `type` is a string literal: the QOM type name, the lock class and the region name.
    MmioDevice(const char* type, uint64_t size, unsigned min_access, unsigned max_access);

    // Region callbacks, called by the dispatch path under the active lock model, with size and
    // alignment already checked against the access limits given to the constructor.
    virtual MemTx mmio_read(hwaddr offset, unsigned size, uint64_t& value) = 0;
    virtual MemTx mmio_write(hwaddr offset, unsigned size, uint64_t value) = 0;
    virtual void do_reset() {}

    // Runs `fn` as asynchronous device work: under the device lock, with the device marked engaged in
    // its re-entrancy guard (so `fn` cannot re-enter its own MMIO through DMA), and not at all once the
    // device is unrealized (a timer or fd event that raced with unplug).
    template <class F>
    void run_async(F&& fn)
    {
        DeviceLockGuard lock;
        if (!realized()) return;
        const bool was_engaged = guard().exchange(true);
        fn();
        guard().exchange(was_engaged);
    }

    // A register the device does not have (a hole in its map, a hart the board lacks): as in QEMU,
    // it reads as 0, writes are ignored, and the guest error is logged once. (Accesses of a size the
    // region does not accept never get here: they are access faults.)
    MemTx reserved_read(hwaddr offset, uint64_t& value);
    MemTx reserved_write(hwaddr offset);

    // Logs "<type>: guest error: <what> (offset ...)" the first time `what` (a string literal naming
    // the kind of error) happens on this device; later occurrences are only counted.
    void guest_error(const char* what, hwaddr offset);

private:
    const char* const type_;
    MemoryRegion region_;

    mutable std::mutex log_mutex_;        // leaf lock: protects logged_ and error_count_
    std::set<std::string_view> logged_;   // protected by log_mutex_: kinds already reported
    uint64_t error_count_ = 0;            // protected by log_mutex_
};

// Register helpers for registers wider than the access: `byte_offset` is the access offset within
// the register, `size` the access size (both validated by the caller).
inline uint64_t reg_read_part(uint64_t reg, unsigned byte_offset, unsigned size)
{
    uint64_t v = reg >> (8 * byte_offset);
    return size >= 8 ? v : v & ((uint64_t(1) << (8 * size)) - 1);
}

inline uint64_t reg_write_part(uint64_t reg, unsigned byte_offset, unsigned size, uint64_t value)
{
    const uint64_t mask = size >= 8 ? ~uint64_t(0) : ((uint64_t(1) << (8 * size)) - 1);
    const unsigned shift = 8 * byte_offset;
    return (reg & ~(mask << shift)) | ((value & mask) << shift);
}

}  // namespace locklab
