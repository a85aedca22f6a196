// The privileged architecture as the execution core sees it: CSR instructions, trap entry and
// return, interrupts, WFI, sfence.vma and Sv39 translation. Implemented in csr.cpp, trap.cpp,
// mmu.cpp and privileged.cpp. All functions run on the hart's home thread.
//
// Convention: a function returning bool returns false after h.raise(...) recorded an exception;
// the interpreter then calls take_exception(). h.pc is the faulting instruction's address.
//
// Where execution continues (the rule the interpreter relies on):
// - take_exception() and take_pending_interrupt() (when it returns true) set BOTH h.pc and
//   h.next_pc to the trap handler; the interpreter resumes fetching at h.pc.
// - exec_mret()/exec_sret() set only h.next_pc (= mepc/sepc), like a jump.
// - All other exec_* leave h.pc and h.next_pc alone (next_pc = pc + len, set by the interpreter).
// - exec_wfi() returning true with h.wfi set: WFI has retired (next_pc is the following insn) and
//   the hart should wait; with h.wfi clear an interrupt was already pending and WFI was a no-op.
// - After any CSR instruction, xRET, or trap, privilege, mstatus, mie or mideleg may have changed:
//   check take_pending_interrupt() before the next instruction (these ops are OPF_SYSTEM).
// Counters: at a CSR instruction h.instret must count the instructions retired before it.
#pragma once

#include "cpu/hart.h"

namespace locklab::rv {

// Reset values of every CSR (misa = RV64IMACSU, mhartid, mstatus.SXL/UXL = 2, ...). Hart::reset calls it.
void reset_csrs(Hart& h);

// --- instructions (semantics.h calls these) ---
bool exec_csr(Hart& h, const DecodedInsn& d);  // CSRRW/S/C and the immediate forms
bool exec_ecall(Hart& h);
bool exec_ebreak(Hart& h);
bool exec_mret(Hart& h);        // sets h.next_pc
bool exec_sret(Hart& h);        // sets h.next_pc; TSR checked
bool exec_wfi(Hart& h);         // TW checked; sets h.wfi when the hart must wait
bool exec_sfence_vma(Hart& h, const DecodedInsn& d);  // TVM checked; flushes the TLB

// --- traps and interrupts ---
// Deliver the exception recorded in h.trap_cause / h.trap_tval, raised by the instruction at
// h.pc: delegation (medeleg), xepc, xcause, xtval, xstatus stack, pc = xtvec base.
void take_exception(Hart& h);
// If an interrupt is pending, enabled and not masked at the current privilege (mideleg, MIE/SIE,
// priority order MEI, MSI, MTI, SEI, SSI, STI), take it with xepc = h.pc and return true.
bool take_pending_interrupt(Hart& h);

// --- address translation ---
// Translate `va` for an access of type `t` at the effective privilege (MPRV applies to Load/Store).
// Sv39 walk with permission checks (U, SUM, MXR), A/D bits set with an atomic update of the PTE,
// bare mode in M or with satp.MODE = 0. On failure raises the page fault or access fault (tval = va).
bool translate(Hart& h, uint64_t va, AccessType t, uint64_t& pa);
// The result is valid for access type `t` only: a TLB may cache it for that type, but a store to a
// page translated for a load must call translate() again (so that D gets set), as QEMU does.
// Privilege used for data accesses (MPRV/MPP) and for fetches.
Priv effective_priv(const Hart& h, AccessType t);

// The page fault / access fault an access of type `t` raises (Store covers AMOs).
inline Exception page_fault_cause(AccessType t)
{
    constexpr Exception kCause[] = {Exception::InsnPageFault, Exception::LoadPageFault, Exception::StorePageFault};
    return kCause[size_t(t)];
}
inline Exception access_fault_cause(AccessType t)
{
    constexpr Exception kCause[] = {Exception::InsnAccessFault, Exception::LoadAccessFault,
                                    Exception::StoreAccessFault};
    return kCause[size_t(t)];
}

// CSR access used by tests, the GDB stub and the monitor (no privilege checks, no side effects
// beyond what a write by M-mode would have). Returns false for CSRs that do not exist.
// csr_write_raw also returns false (and changes nothing) for read-only CSRs (number bits 11:10 = 0b11).
bool csr_read_raw(Hart& h, uint16_t csr, uint64_t& value);
bool csr_write_raw(Hart& h, uint16_t csr, uint64_t value);

}  // namespace locklab::rv
