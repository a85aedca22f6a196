// PLIC: the platform-level interrupt controller, register-compatible with QEMU's sifive_plic as the
// `virt` board instantiates it (reference notes §6.3).
//
// Layout (all registers 32 bits, 4-byte accesses only):
//   0x000000 + 4*irq            priority[irq]          WARL: value mod 2^priority_bits; irq 0 reads 0
//   0x001000 + 4*word           pending bits           read-only (writes ignored, logged)
//   0x002000 + 0x80*ctx + 4*w   enable bits of ctx     bit 0 (source 0) reads 0
//   0x200000 + 0x1000*ctx + 0   threshold of ctx       WARL like priority
//   0x200000 + 0x1000*ctx + 4   read: claim; write: complete
// Other offsets read as 0 and ignore writes, logged once (QEMU's behaviour).
//
// Semantics (QEMU's): an input at a high level sets its pending bit; a low level does not clear it
// (pitfall 11: a device whose line stays high must drive it again to re-latch). A claim returns the
// highest-priority source that is pending, enabled for the context, not claimed and above the
// threshold (ties: lowest number), clears its pending bit and marks it claimed; complete clears the
// claimed mark without checking the enable bit. Each context's output line is "some source is
// claimable for it". Unlike QEMU 7.2, which re-evaluates the outputs on threshold but not on enable
// writes, every register write re-evaluates them (a guest cannot tell, except by being interrupted
// at the enable write rather than at the next update).
//
// Threading: the PLIC is the interrupt controller, so its state has its own leaf mutex: source lines
// are raised from any thread (vCPU MMIO, timer and fd callbacks), and MMIO accesses take it too. The
// output lines are driven under that mutex, which is legal because the sinks (harts) are lock-free;
// nothing else is ever locked while it is held. It is an InstrumentedLock (class sifive_plic.state),
// so lock statistics and lockdep see it, and can confirm it stays a leaf.
#pragma once

#include <cstdint>
#include <vector>

#include "devices/mmio_device.h"
#include "locking/instrumented_lock.h"
#include "qom/irq.h"

namespace locklab {

class Plic final : public MmioDevice, public IrqSink {
public:
    static constexpr uint64_t kPendingBase = 0x1000;
    static constexpr uint64_t kEnableBase = 0x2000, kEnableStride = 0x80;
    static constexpr uint64_t kContextBase = 0x20'0000, kContextStride = 0x1000;
    static constexpr uint64_t kThreshold = 0, kClaimComplete = 4;

    // `context_lines[c]` is the output of context c (on `virt`: 2N = hart N's MEI, 2N+1 its SEI).
    Plic(uint64_t region_size, unsigned num_sources, unsigned priority_bits,
         std::vector<IrqLine> context_lines);

    // IrqSink: input `source` (1 .. num_sources-1) from a device. Any thread.
    void set_irq(unsigned source, bool level) override;

    unsigned num_sources() const { return num_sources_; }
    unsigned num_contexts() const { return unsigned(outputs_.size()); }

private:
    MemTx mmio_read(hwaddr offset, unsigned size, uint64_t& value) override;
    MemTx mmio_write(hwaddr offset, unsigned size, uint64_t value) override;
    void do_reset() override;  // everything 0, outputs low

    // Where an offset points (decoded once for read and write).
    enum class Reg { Priority, Pending, Enable, Threshold, ClaimComplete, Hole };
    struct Decoded {
        Reg reg = Reg::Hole;
        unsigned index = 0;  // source (Priority), word (Pending), context (others)
        unsigned word = 0;   // Enable: word within the context's bitmap
    };
    Decoded decode(hwaddr offset) const;

    // The rest is called with mutex_ held.
    bool bit(const std::vector<uint32_t>& words, unsigned i) const { return words[i / 32] >> (i % 32) & 1; }
    static void set_bit(std::vector<uint32_t>& words, unsigned i, bool v);
    unsigned best_claimable(unsigned ctx) const;  // 0 if none
    unsigned claim(unsigned ctx);
    void update_outputs();

    const unsigned num_sources_;
    const unsigned words_;          // 32-bit words per source bitmap
    const uint32_t priority_mask_;  // 2^priority_bits - 1

    mutable InstrumentedLock mutex_{"sifive_plic.state"};  // leaf lock: protects everything below
    std::vector<uint32_t> priority_;        // mutex_: per source
    std::vector<uint32_t> pending_;         // mutex_: bitmap
    std::vector<uint32_t> claimed_;         // mutex_: bitmap (global, as in QEMU)
    std::vector<uint32_t> enable_;          // mutex_: words_ per context
    std::vector<uint32_t> threshold_;       // mutex_: per context
    std::vector<bool> output_level_;        // mutex_: last level driven per context
    const std::vector<IrqLine> outputs_;    // immutable after construction
};

}  // namespace locklab
