// The privileged instructions: ecall, ebreak, mret, sret, wfi, sfence.vma (privileged spec v1.12
// 3.3; QEMU 7.2's choices where the spec leaves one, e.g. WFI with TW=1 traps at once).
#include "cpu/csr_defs.h"
#include "cpu/mode_switch.h"
#include "cpu/privileged.h"

namespace locklab::rv {
namespace {

// Fixed encodings, reported in xtval when these instructions are illegal in the current mode.
constexpr uint32_t kMretBits = 0x30200073;
constexpr uint32_t kSretBits = 0x10200073;
constexpr uint32_t kWfiBits = 0x10500073;

bool illegal(Hart& h, uint32_t bits) { return h.raise(Exception::IllegalInsn, bits); }

}  // namespace

bool exec_ecall(Hart& h)
{
    switch (h.priv) {
    case Priv::U: return h.raise(Exception::EcallU, 0);
    case Priv::S: return h.raise(Exception::EcallS, 0);
    default: return h.raise(Exception::EcallM, 0);
    }
}

bool exec_ebreak(Hart& h) { return h.raise(Exception::Breakpoint, h.pc); }

bool exec_mret(Hart& h)
{
    if (h.priv != Priv::M) return illegal(h, kMretBits);
    const uint64_t ms = h.csr.mstatus;
    const Priv to = mstatus_mpp(ms);
    // MIE <- MPIE, MPIE <- 1, MPP <- U; leaving M-mode clears MPRV.
    uint64_t next = (ms & ~(MSTATUS_MIE | MSTATUS_MPP)) | ((ms & MSTATUS_MPIE) ? MSTATUS_MIE : 0) | MSTATUS_MPIE;
    if (to != Priv::M) next &= ~MSTATUS_MPRV;
    write_mstatus(h, next);
    set_priv(h, to);
    h.next_pc = h.csr.mepc;
    return true;
}

bool exec_sret(Hart& h)
{
    if (h.priv == Priv::U || (h.priv == Priv::S && (h.csr.mstatus & MSTATUS_TSR))) return illegal(h, kSretBits);
    const uint64_t ms = h.csr.mstatus;
    const Priv to = (ms & MSTATUS_SPP) ? Priv::S : Priv::U;
    // SIE <- SPIE, SPIE <- 1, SPP <- U; the target is never M, so MPRV is cleared.
    const uint64_t next = (ms & ~(MSTATUS_SIE | MSTATUS_SPP | MSTATUS_MPRV)) |
                          ((ms & MSTATUS_SPIE) ? MSTATUS_SIE : 0) | MSTATUS_SPIE;
    write_mstatus(h, next);
    set_priv(h, to);
    h.next_pc = h.csr.sepc;
    return true;
}

bool exec_wfi(Hart& h)
{
    // With S-mode present, WFI is always illegal in U-mode; in S-mode when TW = 1 it traps at once
    // (the spec allows a time limit; QEMU uses zero).
    if (h.priv == Priv::U || (h.priv == Priv::S && (h.csr.mstatus & MSTATUS_TW))) return illegal(h, kWfiBits);
    if (!h.wfi_wakeup_pending()) h.wfi = true;  // otherwise WFI completes as a no-op
    return true;
}

bool exec_sfence_vma(Hart& h, const DecodedInsn& d)
{
    if (h.priv == Priv::U || (h.priv == Priv::S && (h.csr.mstatus & MSTATUS_TVM))) {
        return illegal(h, d.raw);
    }
    h.tlb_flush();  // whole TLB, whatever rs1 (address) and rs2 (ASID) say
    return true;
}

}  // namespace locklab::rv
