// Sv39 address translation (privileged spec v1.12, 4.3-4.4): a three-level walk over page tables in
// guest RAM, with the permission rules of U, SUM and MXR, and the A/D bits set by the walk itself
// with an atomic compare-and-swap on the PTE, as QEMU does (kernels never set A/D themselves).
#include <atomic>

#include "cpu/csr_defs.h"
#include "cpu/mode_switch.h"
#include "cpu/privileged.h"

namespace locklab::rv {
namespace {

constexpr unsigned kPageShift = 12;
constexpr unsigned kLevels = 3;
constexpr unsigned kVpnBits = 9;
constexpr uint64_t kPteSize = 8;

bool page_fault(Hart& h, AccessType t, uint64_t va) { return h.raise(page_fault_cause(t), va); }
bool access_fault(Hart& h, AccessType t, uint64_t va) { return h.raise(access_fault_cause(t), va); }

// Sv39 addresses are 39-bit sign-extended: bits 63:39 must equal bit 38.
bool canonical(uint64_t va) { return int64_t(va << 25) >> 25 == int64_t(va); }

uint64_t vpn(uint64_t va, unsigned level) { return (va >> (kPageShift + kVpnBits * level)) & ((1u << kVpnBits) - 1); }

// A PTE that no walk may use: not valid, writable without being readable, or reserved bits set.
bool pte_invalid(uint64_t pte)
{
    return !(pte & PTE_V) || ((pte & PTE_W) && !(pte & PTE_R)) || (pte & PTE_RESERVED);
}

// Whether a leaf PTE allows access `t` at privilege `p` (mstatus supplies SUM and MXR).
bool leaf_permits(uint64_t pte, AccessType t, Priv p, uint64_t mstatus)
{
    const bool user_page = pte & PTE_U;
    if (p == Priv::U && !user_page) return false;
    // S-mode may load/store U pages only with SUM, and never execute from them.
    if (p == Priv::S && user_page && (t == AccessType::Fetch || !(mstatus & MSTATUS_SUM))) return false;
    switch (t) {
    case AccessType::Fetch: return pte & PTE_X;
    case AccessType::Load: return (pte & PTE_R) || ((mstatus & MSTATUS_MXR) && (pte & PTE_X));
    default: return pte & PTE_W;
    }
}

bool sv39_walk(Hart& h, uint64_t va, AccessType t, Priv p, uint64_t& pa)
{
    if (!canonical(va)) return page_fault(h, t, va);
    uint64_t table = (h.csr.satp & SATP_PPN) << kPageShift;
    for (int level = kLevels - 1; level >= 0; --level) {
        uint8_t* host = h.as.ram_ptr(table + vpn(va, level) * kPteSize, kPteSize);
        if (!host) return access_fault(h, t, va);
        // Other harts (and the guest) may update the PTE concurrently: every access is atomic.
        std::atomic_ref<uint64_t> slot(*reinterpret_cast<uint64_t*>(host));
        uint64_t pte = slot.load(std::memory_order_acquire);
        for (;;) {
            if (pte_invalid(pte)) return page_fault(h, t, va);
            const uint64_t ppn = (pte >> PTE_PPN_SHIFT) & PTE_PPN;
            if (!(pte & (PTE_R | PTE_X))) {  // pointer to the next level
                if (level == 0) return page_fault(h, t, va);
                table = ppn << kPageShift;
                break;
            }
            if (!leaf_permits(pte, t, p, h.csr.mstatus)) return page_fault(h, t, va);
            const uint64_t offset_bits = kPageShift + kVpnBits * unsigned(level);
            const uint64_t superpage_ppn_mask = (uint64_t(1) << (kVpnBits * unsigned(level))) - 1;
            if (ppn & superpage_ppn_mask) return page_fault(h, t, va);  // misaligned superpage
            const uint64_t ad = PTE_A | (t == AccessType::Store ? PTE_D : 0);
            // Set A (and D for a store); if the PTE changed under us, check the new value again.
            if ((pte & ad) != ad && !slot.compare_exchange_weak(pte, pte | ad, std::memory_order_acq_rel)) continue;
            const uint64_t offset_mask = (uint64_t(1) << offset_bits) - 1;
            pa = ((ppn << kPageShift) & ~offset_mask) | (va & offset_mask);
            return true;
        }
    }
    return page_fault(h, t, va);  // not reached: level 0 either returns or faults
}

}  // namespace

Priv effective_priv(const Hart& h, AccessType t)
{
    if (t != AccessType::Fetch && h.priv == Priv::M && (h.csr.mstatus & MSTATUS_MPRV)) {
        return mstatus_mpp(h.csr.mstatus);
    }
    return h.priv;
}

bool translate(Hart& h, uint64_t va, AccessType t, uint64_t& pa)
{
    const Priv p = effective_priv(h, t);
    if (p == Priv::M || (h.csr.satp >> SATP_MODE_SHIFT) == SATP_MODE_BARE) {
        pa = va;
        return true;
    }
    return sv39_walk(h, va, t, p, pa);
}

}  // namespace locklab::rv
