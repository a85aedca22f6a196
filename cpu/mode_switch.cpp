#include "cpu/mode_switch.h"

#include "cpu/csr_defs.h"

namespace locklab::rv {
namespace {

// Fields software can write through mstatus (no F, D or V: FS, VS and XS stay 0).
constexpr uint64_t kWritable = MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP |
                               MSTATUS_MPP | MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM |
                               MSTATUS_TW | MSTATUS_TSR;

}  // namespace

void write_mstatus(Hart& h, uint64_t value)
{
    const uint64_t old = h.csr.mstatus;
    uint64_t next = (value & kWritable) | MSTATUS_XL_64;
    if (((next & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT) == 2) next = (next & ~MSTATUS_MPP) | (old & MSTATUS_MPP);
    h.csr.mstatus = next;

    const uint64_t changed = old ^ next;
    if (changed & (MSTATUS_SUM | MSTATUS_MXR)) h.tlb_flush();
    if (changed & (MSTATUS_MPRV | MSTATUS_MPP)) h.mmu_mode_changed();
}

void set_priv(Hart& h, Priv p)
{
    h.resv_addr = ~uint64_t(0);
    if (h.priv == p) return;
    h.priv = p;
    h.mmu_mode_changed();
}

}  // namespace locklab::rv
