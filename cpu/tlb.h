// Softmmu TLB of one hart: caches virtual page -> (guest-physical page, host page) so that loads,
// stores and block fetches skip the Sv39 walk and the FlatView lookup.
//
// Shape (QEMU's CPUTLBEntry, TinyEMU/Spike/RVVM's size): 256 direct-mapped entries per
// translation context, each with one tag per access type and a host addend. A tag is the page
// address of the virtual page with flag bits below the page number; any flag bit makes the fast
// compare fail, so the fast path is one compare:
//   hit  <=>  tag[type] == (va & (kPageMask | (size - 1)))    (misaligned never hits)
//
// Translation contexts instead of flushes: there is one table per privilege level used for
// translation (U, S, M), separately for fetches and for data. Fetches use the table of h.priv,
// loads/stores the one of effective_priv(Load) (MPRV/MPP), chosen by Hart::mmu_mode_changed(). A change of privilege or
// MPRV therefore needs no flush; a change of satp, SUM or MXR flushes all tables (tlb_flush()).
//
// Non-RAM pages (MMIO, unassigned) are cached with kTlbMmio set: they never hit the fast path,
// but the slow path skips the page walk and sends every access to AddressSpace::read()/write(),
// i.e. through the MMIO dispatch path. Entries hold no device pointer, so unplugging a device
// needs no TLB flush; RAM is never unmapped while the machine runs, so host pointers stay valid.
//
// Code pages (self-modifying code, cpu/code_map.h): the store tag of a RAM page that holds decoded
// or translated code carries kTlbCode, so stores to it miss the fast path and the slow path tells
// the CodeMap which bytes changed. When no code is left in the page, the next slow store drops the
// flag again (the page is fast again).
//
// Threading: home thread only, with one exception: another hart's thread that starts caching code
// in a page sets kTlbCode in this hart's store tags of that page (CodeMap::protect, an atomic OR),
// and reads pa_addend to find them. So store tags and pa_addend are accessed through atomic_ref
// (relaxed: plain moves on x86-64; generated code reads them with plain loads). Whoever writes a
// store tag without kTlbCode re-checks the page's code afterwards (seq_cst on both sides), so a
// concurrent protect is never lost. Flushes from other threads go through the system layer's
// run-on-cpu work, executed by the hart itself.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

#include "cpu/hart.h"

namespace locklab::rv {

inline constexpr unsigned kPageBits = 12;
inline constexpr uint64_t kPageSize = uint64_t(1) << kPageBits;
inline constexpr uint64_t kPageMask = ~(kPageSize - 1);

// Flag bits in the low (page-offset) bits of a tag. They must lie above the alignment bits the fast
// compare keeps (size - 1, size <= 8): a flag in bit 0..2 would equal a misaligned address's low
// bits and turn that access into a "hit" on a non-RAM page (a host crash, found by tests/difftest).
inline constexpr uint64_t kMaxAccessSize = 8;
inline constexpr uint64_t kTlbEmpty = 8;   // nothing cached for this access type
inline constexpr uint64_t kTlbMmio = 16;  // not RAM: slow path through the dispatch path
inline constexpr uint64_t kTlbCode = 32;  // store tag only: the RAM page holds code (cpu/code_map.h)
static_assert(kTlbEmpty >= kMaxAccessSize && kTlbMmio >= kMaxAccessSize && kTlbCode >= kMaxAccessSize,
              "TLB flag bits must not overlap the alignment bits of the fast-path compare");

class CodeMap;  // cpu/code_map.h

inline constexpr size_t kTlbEntries = 256;

struct TlbEntry {
    // Indexed by AccessType. tag[Store]: kTlbCode may be ORed in by other threads (see above).
    std::array<uint64_t, 3> tag{kTlbEmpty, kTlbEmpty, kTlbEmpty};
    uintptr_t host_addend = 0;  // RAM pages: host address = va + host_addend

    uint64_t load_tag(AccessType t) const
    {
        return std::atomic_ref<const uint64_t>(tag[size_t(t)]).load(std::memory_order_relaxed);
    }
};

// Where one byte of guest memory lives, as the TLB resolved it.
struct PageRef {
    uint8_t* host = nullptr;  // RAM: host address of the byte; null for MMIO/unassigned
    uint64_t pa = 0;          // guest-physical address of the byte
};

// The entries of one translation context.
struct TlbTable {
    std::array<TlbEntry, kTlbEntries> entry;
    // pa = va + pa_addend, where any tag is valid. Written atomically (CodeMap::protect reads it).
    std::array<uint64_t, kTlbEntries> pa_addend{};

    static size_t index(uint64_t va) { return (va >> kPageBits) & (kTlbEntries - 1); }
    void flush();
    // Record a translation of `va`'s page for access type `t` (other types of the same page are
    // kept; an entry holding another page is replaced). `host_page` is null for non-RAM pages.
    // A RAM store entry gets kTlbCode when `code` says the page holds code.
    void fill(uint64_t va, AccessType t, uint64_t pa, uint8_t* host_page, const CodeMap* code);
    // The page of entry i no longer holds code: clear kTlbCode from its store tag (re-set if code
    // arrived meanwhile).
    void drop_code_flag(size_t i, const CodeMap& code);
    // Set kTlbCode on every store tag that maps guest-physical page `pa_page` (any thread).
    void protect(uint64_t pa_page);

private:
    void set_store_tag(size_t i, uint64_t tag, const CodeMap* code);
};

struct Tlb {
    // By translation privilege (U, S, M); fetches and data apart, so code and data pages that
    // share an index do not evict each other.
    std::array<TlbTable, 3> fetch_context, data_context;
    TlbTable* fetch = &fetch_context[2];   // context of instruction fetches (h.priv)
    TlbTable* data = &data_context[2];     // context of loads/stores/AMOs (effective privilege)

    static size_t context_index(Priv p) { return p == Priv::M ? 2 : size_t(p); }
    void select(Priv fetch_priv, Priv data_priv);
    void flush();

    // The machine's code map, shared by every hart on the same address space; attached on the
    // first fill (CodeMap::attach). Home thread.
    std::shared_ptr<CodeMap> code;
    // Set by a store of this hart that invalidated its own cached code: the engine ends the
    // executing block after that store (precise self-modifying code), then clears it. Home thread.
    bool code_written = false;

    Tlb() = default;
    ~Tlb();
    Tlb(const Tlb&) = delete;
    Tlb& operator=(const Tlb&) = delete;
};

// Slow path: translate `va` for access `t` (Sv39 walk via translate()), find out whether the page is
// RAM, fill `table`, and resolve the byte. False after h.raise() (page fault or access fault).
bool tlb_fill_and_resolve(Hart& h, TlbTable& table, uint64_t va, AccessType t, PageRef& out);

// Resolve `va` for access `t`: a tag compare on a hit, tlb_fill_and_resolve() on a miss.
// MMIO pages resolve to host == null.
inline bool tlb_resolve(Hart& h, TlbTable& table, uint64_t va, AccessType t, PageRef& out)
{
    const size_t i = TlbTable::index(va);
    const uint64_t tag = table.entry[i].load_tag(t);
    if ((tag & kPageMask) == (va & kPageMask) && !(tag & kTlbEmpty)) {
        out.pa = va + table.pa_addend[i];
        out.host = (tag & kTlbMmio) ? nullptr : reinterpret_cast<uint8_t*>(va + table.entry[i].host_addend);
        return true;
    }
    return tlb_fill_and_resolve(h, table, va, t, out);
}

}  // namespace locklab::rv
