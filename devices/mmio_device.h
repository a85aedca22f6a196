// MmioDevice: the common base of the board's memory-mapped devices. It owns the device's one MMIO
// region and forwards the region's callbacks to two virtual functions, so a device only writes its
// register decoding. It also holds the two policies every device shares:
//
//  - run_async(): the protection asynchronous work (timer and fd-handler callbacks in an AioContext)
//    takes before touching device state. MMIO callbacks already run under the device's lock model
//    (the dispatch path takes it); asynchronous callbacks go through the same model's asynchronous
//    side (locking/lock_model.h), here and nowhere else: under `global` they take the BQL, under
//    `per-device` the device lock (or the BQL if the device is not bql_free), under the trylock
//    models they may run later or on another thread (the vCPU that holds the lock).
//  - guest_error(): a guest doing something the device does not accept is logged once per kind;
//    reserved_read()/reserved_write() treat holes in the register map as QEMU does.
//
// "Device lock" in the devices' field comments means exactly this protection.
#pragma once

#include <cstdint>
#include <mutex>
#include <set>
#include <source_location>
#include <string>
#include <string_view>

#include "locking/lock_model.h"
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
    // The device lock for work that does not arrive through the dispatch path (reset, unrealize):
    // whatever the device's lock model takes for a vCPU access, nothing if this thread holds it
    // already. Throws std::logic_error if that is a device lock and this thread holds the BQL (the
    // lock order forbids it: take the device lock first).
    class DeviceLockGuard {
    public:
        explicit DeviceLockGuard(MmioDevice& d, const std::source_location& site = std::source_location::current());

    private:
        LockHold hold_;
    };

    // `type` is a string literal: the QOM type name, the lock class and the region name.
    MmioDevice(const char* type, uint64_t size, unsigned min_access, unsigned max_access);

    // Region callbacks, called by the dispatch path under the active lock model, with size and
    // alignment already checked against the access limits given to the constructor.
    virtual MemTx mmio_read(hwaddr offset, unsigned size, uint64_t& value) = 0;
    virtual MemTx mmio_write(hwaddr offset, unsigned size, uint64_t value) = 0;
    virtual void do_reset() {}

    // Runs `fn` as asynchronous device work: under the device lock, with the device marked engaged in
    // its re-entrancy guard (so `fn` cannot re-enter its own MMIO through DMA), and not at all once the
    // device is unrealized (a timer or fd event that raced with unplug). Call it from the thread of
    // the event loop the event arrived in. Depending on the lock model `fn` runs before run_async
    // returns, or later — on this loop (a retry, a wake-up) or on the vCPU thread that holds the
    // lock (trylock-queue) — so it captures by value what it uses (the device is kept alive for it)
    // and re-checks its condition, like a timer callback that raced with a del().
    template <class F>
    void run_async(F fn, const std::source_location& site = std::source_location::current())
    {
        submit_async(
            [self = Ref<MmioDevice>(this), fn = std::move(fn)] {
                if (!self->realized()) return;
                const bool was_engaged = self->guard().exchange(true);
                fn();
                self->guard().exchange(was_engaged);
            },
            site);
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
    // Hands `work` (run_async's wrapper) to the lock model's asynchronous side, with the calling
    // thread's event loop as the executor; retries it on that loop's next pass if it was skipped.
    void submit_async(AsyncWork work, const std::source_location& site);

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
