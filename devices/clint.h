// CLINT: SiFive-compatible core-local interruptor (QEMU's ACLINT MSWI + MTIMER pair at the `virt`
// defaults; reference notes §6.4).
//
// Layout (4- and 8-byte accesses; 8-byte registers also in 4-byte halves):
//   0x0000 + 4*hart   msip[hart]      bit 0 drives the hart's MSI line; reads back bit 0
//   0x4000 + 8*hart   mtimecmp[hart]  MTI is level: high while mtime >= mtimecmp
//   0xBFF8            mtime           10 MHz; writable (moves every hart's view of time)
// Other offsets (including harts the board does not have) read as 0 and ignore writes, logged once
// (QEMU's behaviour); a non-4-byte msip access is an access fault.
//
// mtime = clock_ns(Virtual) * 10 MHz / 1e9 + delta; writing mtime changes delta. Writing mtimecmp at
// or below mtime raises MTI at once; otherwise MTI drops and a Virtual-clock timer in the main
// AioContext is armed for the deadline (the first Virtual-clock ns at which mtime reaches mtimecmp);
// its callback raises MTI. Nothing polls. The timer is re-armed only when the deadline moves
// earlier (arming wakes the main loop when it becomes its first timer: a system call): a later
// deadline lets the armed timer fire early, and its callback re-evaluates and arms the new one. A
// deadline mtime cannot reach (mtimecmp = ~0, or past 2^63 ns) arms nothing.
// Reset (as QEMU's): msip cleared, mtime set to 0 and every hart re-evaluated; mtimecmp keeps its
// value, 0 at power-on, so after the board's power-on reset MTI is pending until the guest writes
// mtimecmp (qemu-system-riscv64 7.2 shows mip.MTIP set at the first instruction too).
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "devices/mmio_device.h"
#include "loop/aio_context.h"
#include "qom/irq.h"

namespace locklab {

class Clint final : public MmioDevice {
public:
    static constexpr uint64_t kMsipBase = 0x0, kMtimecmpBase = 0x4000, kMtime = 0xBFF8;

    struct HartLines {
        IrqLine msi;  // mip.MSIP
        IrqLine mti;  // mip.MTIP
    };

    Clint(uint64_t region_size, uint64_t timebase_hz, AioContext& ctx, std::vector<HartLines> harts);

    // The current mtime; what each hart's `time` CSR reads. Any thread, lock-free.
    uint64_t mtime() const { return ticks_at(clock_ns(ClockType::Virtual)); }

private:
    void do_realize() override;
    void do_unrealize() override;
    void do_reset() override;
    MemTx mmio_read(hwaddr offset, unsigned size, uint64_t& value) override;
    MemTx mmio_write(hwaddr offset, unsigned size, uint64_t value) override;

    enum class Reg { Msip, Mtimecmp, Mtime, Hole, BadSize };
    struct Decoded {
        Reg reg = Reg::Hole;
        unsigned hart = 0;
        unsigned byte = 0;  // offset of the access within an 8-byte register
    };
    Decoded decode(hwaddr offset, unsigned size) const;

    void set_mtime(uint64_t value);               // device lock held; re-evaluates every hart
    uint64_t raw_ticks_at(int64_t ns) const;      // the timebase at Virtual-clock time `ns`, without delta
    uint64_t ticks_at(int64_t ns) const { return raw_ticks_at(ns) + delta_.load(std::memory_order_relaxed); }
    uint64_t ticks_to_ns_ceil(uint64_t ticks) const;  // saturating
    // Device lock held: compare mtimecmp[hart] with mtime, drive MTI and arm the hart's timer if its
    // deadline moved earlier (see the header comment).
    void evaluate_timer(unsigned hart);
    void on_timer(unsigned hart);  // device lock held: the hart's timer fired

    const uint64_t timebase_hz_;
    AioContext& ctx_;                      // the main context; timers run in its home thread
    const std::vector<HartLines> lines_;   // immutable after construction

    std::atomic<uint64_t> delta_{0};       // atomic: written under the device lock, read by any hart
    std::vector<uint64_t> mtimecmp_;       // device lock
    std::vector<uint32_t> msip_;           // device lock
    std::vector<std::unique_ptr<Timer>> timers_;  // device lock; exist only while realized
    // Device lock: the deadline timers_[h] is armed for, kNeverArmed if none. After the timer fired
    // and until its callback ran, still that (past) deadline: nothing re-arms meanwhile, and the
    // callback re-evaluates.
    std::vector<int64_t> armed_;
    static constexpr int64_t kNeverArmed = std::numeric_limits<int64_t>::max();
};

}  // namespace locklab
