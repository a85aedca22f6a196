// The two ways the privileged code changes how the hart translates and protects memory: a new
// privilege mode, and a new mstatus. Both tell the execution core what it must refresh
// (Hart::mmu_mode_changed for priv/MPRV/MPP, Hart::tlb_flush for SUM/MXR). Home thread only.
#pragma once

#include <cstdint>

#include "cpu/csr_defs.h"
#include "cpu/hart.h"

namespace locklab::rv {

// Legalise `value` (WARL: writable fields only, MPP = 2 keeps the old MPP, UXL = SXL = 64,
// FS/XS/VS/SD = 0) and store it in mstatus, notifying the execution core of what changed.
void write_mstatus(Hart& h, uint64_t value);

// Switch to privilege `p` on a trap entry or an xRET. Like QEMU's mode change, it breaks the LR
// reservation, even when the mode stays the same.
void set_priv(Hart& h, Priv p);

inline Priv mstatus_mpp(uint64_t mstatus) { return Priv((mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT); }

}  // namespace locklab::rv
