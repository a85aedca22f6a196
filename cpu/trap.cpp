// Trap entry: synchronous exceptions and interrupts (privileged spec v1.12, 3.1.6-3.1.9, 3.3.1).
#include <array>

#include "cpu/csr_defs.h"
#include "cpu/mode_switch.h"
#include "cpu/privileged.h"

namespace locklab::rv {
namespace {

// Interrupts in the order they are taken when several are pending at the same level.
constexpr std::array<Irq, 6> kIrqPriority = {IRQ_MEI, IRQ_MSI, IRQ_MTI, IRQ_SEI, IRQ_SSI, IRQ_STI};

uint64_t handler_address(uint64_t tvec, uint64_t code, bool interrupt)
{
    const uint64_t base = tvec & ~TVEC_MODE;
    if (interrupt && (tvec & TVEC_MODE) == TVEC_VECTORED) return base + 4 * code;
    return base;
}

// Enter the trap handler for `code` (exception cause or interrupt number). A trap goes to S-mode
// when it is delegated and the hart is not in M-mode; a trap taken in M stays in M.
void enter_trap(Hart& h, uint64_t code, bool interrupt, uint64_t tval)
{
    const uint64_t deleg = interrupt ? h.csr.mideleg : h.csr.medeleg;
    const bool to_s = h.priv != Priv::M && code < 64 && ((deleg >> code) & 1);
    const uint64_t cause = interrupt ? (CAUSE_INTERRUPT | code) : code;
    const uint64_t epc = h.pc & ~uint64_t(1);
    uint64_t ms = h.csr.mstatus;
    uint64_t tvec = 0;
    if (to_s) {
        h.csr.sepc = epc;
        h.csr.scause = cause;
        h.csr.stval = tval;
        ms = (ms & ~(MSTATUS_SPIE | MSTATUS_SIE | MSTATUS_SPP)) | ((ms & MSTATUS_SIE) ? MSTATUS_SPIE : 0) |
             (h.priv == Priv::S ? MSTATUS_SPP : 0);
        tvec = h.csr.stvec;
    } else {
        h.csr.mepc = epc;
        h.csr.mcause = cause;
        h.csr.mtval = tval;
        ms = (ms & ~(MSTATUS_MPIE | MSTATUS_MIE | MSTATUS_MPP)) | ((ms & MSTATUS_MIE) ? MSTATUS_MPIE : 0) |
             (uint64_t(h.priv) << MSTATUS_MPP_SHIFT);
        tvec = h.csr.mtvec;
    }
    write_mstatus(h, ms);
    set_priv(h, to_s ? Priv::S : Priv::M);
    h.pc = h.next_pc = handler_address(tvec, code, interrupt);
}

}  // namespace

void take_exception(Hart& h) { enter_trap(h, h.trap_cause, false, h.trap_tval); }

bool take_pending_interrupt(Hart& h)
{
    const uint64_t pending = h.mip.load(std::memory_order_acquire) & h.csr.mie;
    if (!pending) return false;
    const uint64_t ms = h.csr.mstatus;
    // M-level interrupts are masked only in M-mode with MIE = 0; delegated (S-level) ones are never
    // taken in M-mode, and in S-mode only with SIE = 1. Higher-level interrupts go first.
    const bool m_enabled = h.priv < Priv::M || (ms & MSTATUS_MIE);
    const bool s_enabled = h.priv < Priv::S || (h.priv == Priv::S && (ms & MSTATUS_SIE));
    const uint64_t m_level = m_enabled ? pending & ~h.csr.mideleg : 0;
    const uint64_t s_level = s_enabled ? pending & h.csr.mideleg : 0;
    const uint64_t takeable = m_level ? m_level : s_level;
    for (Irq irq : kIrqPriority) {
        if (takeable & bit(irq)) {
            enter_trap(h, irq, true, 0);
            return true;
        }
    }
    return false;
}

}  // namespace locklab::rv
