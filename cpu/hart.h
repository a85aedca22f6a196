// Hart: one RISC-V hardware thread (RV64IMAC, M/S/U, Sv39). Architectural state plus what the
// interpreter needs around it (softmmu TLB, decoded-block cache, reservation, wake-up).
//
// Threading: everything not marked otherwise is touched only by the hart's own vCPU thread (its
// "home thread"). Other threads interact through set_irq() (devices raising mip bits), kick()
// (exit request) and async work queued by the system layer.
//
// Ownership inside cpu/ (so the parts can be written independently):
//   cpu/csr_state.h, csr.cpp, trap.cpp, mmu.cpp, privileged.cpp  — privileged architecture
//   cpu/hart.cpp, tlb.h, memory_access.h, semantics.h, interpreter.cpp — execution core
//   cpu/decode.cpp, disasm.cpp                                    — decoder and disassembler
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "cpu/csr_state.h"
#include "cpu/decoded_insn.h"
#include "memory/address_space.h"
#include "qom/irq.h"

namespace locklab::rv {

enum class Priv : uint8_t { U = 0, S = 1, M = 3 };

// Synchronous exception causes (mcause with the interrupt bit clear).
enum class Exception : uint64_t {
    InsnMisaligned = 0,
    InsnAccessFault = 1,
    IllegalInsn = 2,
    Breakpoint = 3,
    LoadMisaligned = 4,
    LoadAccessFault = 5,
    StoreMisaligned = 6,   // also AMO
    StoreAccessFault = 7,  // also AMO
    EcallU = 8,
    EcallS = 9,
    EcallM = 11,
    InsnPageFault = 12,
    LoadPageFault = 13,
    StorePageFault = 15,   // also AMO
};

// Interrupt numbers = bit positions in mip/mie (mcause = (1 << 63) | number).
enum Irq : unsigned { IRQ_SSI = 1, IRQ_MSI = 3, IRQ_STI = 5, IRQ_MTI = 7, IRQ_SEI = 9, IRQ_MEI = 11 };

enum class AccessType : uint8_t { Fetch, Load, Store };

// Why Hart::run() returned.
enum class RunExit : uint8_t {
    BudgetDone,    // executed the requested number of instructions (or more: block granularity)
    ExitRequest,   // kick(): another thread wants this vCPU (TLB flush, stop, pause, ...)
    Wfi,           // the hart executed WFI and no interrupt is pending: the caller should wait
};

struct Tlb;          // cpu/tlb.h
struct BlockCache;   // cpu/block_cache.h
namespace tcg {
class Engine;        // cpu/tcg/engine.h
}

class Hart final : public IrqSink {
public:
    Hart(unsigned hartid, AddressSpace& as);
    ~Hart();
    Hart(const Hart&) = delete;
    Hart& operator=(const Hart&) = delete;

    // Reset: pc = entry, a0 = hartid, a1 = fdt address, M-mode, CSRs to reset values.
    void reset(uint64_t entry, uint64_t fdt_addr);

    // Execute at least `budget` instructions unless WFI, an exit request, or an exception path
    // ends the run earlier. Takes traps and interrupts itself. Enters/leaves RCU around the run.
    RunExit run(uint64_t budget);

    // --- cross-thread interface ---
    // IrqSink: line = mip bit (IRQ_MSI, IRQ_MTI, IRQ_MEI, IRQ_SEI, ...). Any thread. Raising a
    // line that was low also kick()s the hart, so a running hart takes the interrupt at its next
    // block boundary and a hart in wait_for_interrupt() wakes.
    void set_irq(unsigned line, bool level) override;
    // Ask the hart to leave run() at the next block boundary. Any thread.
    void kick();
    // Cross-vCPU work (QEMU's async_run_on_cpu): queue `fn` to run on the hart's home thread before
    // the hart next executes an instruction, and kick() it. Any thread. run() drains the queue at
    // entry, outside its RCU read section, so `fn` may wait for a grace period; a running hart gets
    // there at its next block boundary (the exit-request check returns from run()), a hart waiting
    // in WFI when kick() wakes it.
    void run_on_cpu(std::function<void()> fn);
    // Run the queued work, oldest first (home thread). Cheap when the queue is empty. Besides run(),
    // whoever keeps a hart from running (single-thread mode passing over a hart in WFI) calls it.
    void process_queued_work();
    // Block the calling (home) thread until an interrupt is pending-and-enabled per WFI rules or
    // kick() is called. Costs no CPU while waiting.
    void wait_for_interrupt();
    // Whether some interrupt is pending in mip & mie (WFI's wake-up condition, ignores MIE/SIE).
    bool wfi_wakeup_pending() const;

    // Invalidate this hart's TLB (home thread; others use the system layer's run-on-cpu work).
    void tlb_flush();
    // Invalidate decoded code (fence.i, or a write to code the system layer detected). Home thread.
    void code_flush();
    // The privileged code calls this after any change of priv or mstatus.MPRV/MPP, so the memory
    // fast path can pick the translation context for fetches and data accesses. (Changes of satp,
    // SUM or MXR call tlb_flush() instead.) Home thread.
    void mmu_mode_changed();

    // Tracing hooks for `-d in_asm` / `-d exec` (null when off; checked off the fast path).
    std::function<void(const Hart&, uint64_t pc, const DecodedInsn* insns, size_t n)> on_block_decoded;
    std::function<void(const Hart&, const DecodedInsn&)> on_insn_exec;

    // --- architectural state (home thread only) ---
    uint64_t x[33] = {};      // x[0] reads 0; x[32] (kZeroSink) absorbs writes to x0
    uint64_t pc = 0;          // address of the instruction being executed
    uint64_t next_pc = 0;     // set to pc + len before each instruction; branches overwrite it
    Priv priv = Priv::M;
    CsrState csr;             // cpu/csr_state.h
    // minstret/mcycle source: instructions retired. Exact whenever a SYSTEM insn executes (it then
    // counts the instructions before it; the interpreter adds 1 after the SYSTEM insn completes, so
    // a CSR write of minstret keeps its offset against instret + 1) and after every trap.
    uint64_t instret = 0;
    std::atomic<uint64_t> mip{0};  // atomic: devices set MSIP/MTIP/MEIP/SEIP from other threads
    // Set by WFI when it must wait; run() then returns RunExit::Wfi. Cleared by
    // wait_for_interrupt() and at the start of run().
    bool wfi = false;

    // LR/SC: QEMU-style cmpxchg emulation. LR records address and loaded value; SC succeeds iff
    // the address matches and a host cmpxchg from that value succeeds. ABA-susceptible (a store of
    // the same value by another hart does not break the reservation), as documented by QEMU.
    uint64_t resv_addr = ~uint64_t(0);
    uint64_t resv_value = 0;

    // Pending synchronous exception, recorded by raise() and taken by the interpreter.
    uint64_t trap_cause = 0;
    uint64_t trap_tval = 0;
    // Record an exception; returns false so semantics can `return h.raise(...)`.
    bool raise(Exception cause, uint64_t tval)
    {
        trap_cause = uint64_t(cause);
        trap_tval = tval;
        return false;
    }

    const unsigned hartid;
    AddressSpace& as;                         // the system bus this hart masters
    std::function<uint64_t()> time_source;    // reads mtime (10 MHz); set by the board wiring

    std::unique_ptr<Tlb> tlb;                 // cpu/tlb.h
    std::unique_ptr<BlockCache> blocks;       // decoded-instruction cache
    // The JIT (`--accel jit`, cpu/tcg/jit.h): non-null once enabled; run() then executes translated
    // code (the interpreter still runs the `-d exec` trace). Home thread only.
    std::unique_ptr<tcg::Engine> jit;

    std::atomic<bool> exit_request{false};    // atomic: set by kick() from any thread
    std::atomic<uint32_t> wake_seq{0};        // atomic: bumped by set_irq/kick, waited on in WFI

private:
    std::mutex work_mutex_;                          // leaf lock: protects queued_work_
    std::vector<std::function<void()>> queued_work_;  // protected by work_mutex_
    std::atomic<bool> work_pending_{false};  // atomic: set with queued_work_ non-empty, cleared by the home thread
};

}  // namespace locklab::rv
