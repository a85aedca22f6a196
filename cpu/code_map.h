// Self-modifying and cross-modifying code: which guest-physical bytes hold code that some hart has
// cached (interpreter blocks, JIT translation blocks), so that a store to them — from any hart, by
// the interpreter, the JIT's helpers or an AMO — invalidates that code on every hart before the hart
// next executes it. One CodeMap per address space, shared by its harts (CodeMap::of).
//
// Grain: a page's code is a 64-bit mask of 64-byte lines. A page with any line set makes the
// harts' TLB store entries for it take the slow path (kTlbCode, cpu/tlb.h); the slow path stores,
// then checks the mask: a store to a line without code costs a call and a locked operation, not an
// invalidation. When no line is left, the next slow store of each hart drops the flag and the page
// is fast again (QEMU keeps every store to a code page on the slow path and walks the page's TBs:
// its "18 MIPS cliff").
//
// Invalidation (written()): the storing hart drops its blocks and TBs overlapping the stored bytes
// at once and clears the stored lines its remaining code does not cover, so a store that rewrites
// the block it executes ends that block right after the store
// (Tlb::code_written; precise SMC, like QEMU's cpu_loop_exit_noexc); every other hart that cached
// code in the page (the page's hart mask) gets run_on_cpu() work dropping whatever overlaps the
// stored lines, and is kicked: it leaves its current block at the next block boundary and runs the
// work before it executes anything else.
//
// Ordering: an engine decodes a block, marks its lines (an RMW, seq_cst), protects the TLBs, then
// reads the bytes again and keeps the block only if they are unchanged (track_decoded_code()); a
// slow-path store writes, then reads the mask. A store that lands before the mark is seen by the
// re-read; one whose mask read comes after the mark invalidates. Not seen: a store racing with the
// first translation of the line it writes (its TLB check or mask read before the mark, its write
// after the re-read). QEMU has a wider window (it protects after translating, and its notdirty path
// invalidates before the store lands). RISC-V code that patches code for another hart needs fence.i
// on that hart, which drops all of its cached code (Hart::code_flush()), so such programs are exact.
// Not covered: device DMA into guest RAM (devices write through AddressSpace::ram_ptr()), and the
// page walker's A/D updates. Harts are destroyed only while no hart runs.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "cpu/hart.h"
#include "cpu/tlb.h"

namespace locklab::rv {

inline constexpr unsigned kCodeLineBits = 6;
inline constexpr uint64_t kCodeLineSize = uint64_t(1) << kCodeLineBits;
static_assert(kPageSize / kCodeLineSize == 64, "a page's code lines must fit one 64-bit mask");

// The mask of the lines [pa, pa + len) touches in pa's page (len >= 1; bytes past the page end are
// ignored).
inline uint64_t code_line_mask(uint64_t pa, uint64_t len)
{
    const uint64_t off = pa & ~kPageMask;
    const uint64_t end = std::min<uint64_t>(off + len, kPageSize) - 1;
    const unsigned first = unsigned(off >> kCodeLineBits), last = unsigned(end >> kCodeLineBits);
    return (~uint64_t(0) >> (63 - last)) & (~uint64_t(0) << first);
}

class CodeMap {
public:
    // The map of `as` (created on first use; lives as long as a hart holds it).
    static std::shared_ptr<CodeMap> of(AddressSpace& as);
    CodeMap() = default;
    ~CodeMap();
    CodeMap(const CodeMap&) = delete;
    CodeMap& operator=(const CodeMap&) = delete;

    // A hart's TLB joins (its store tags get protected) / leaves. Any thread.
    void attach(Hart& h, Tlb& tlb);
    void detach(Tlb& tlb);

    // Hart h (its home thread) caches code at [pa, pa + len), within one page. False when pa lies
    // beyond the tracked physical range (kTrackedBits): such code must not be cached.
    bool add(Hart& h, uint64_t pa, uint64_t len) { return add_lines(h, pa & kPageMask, code_line_mask(pa, len)); }
    // The same for a mask of lines of the page at pa_page.
    bool add_lines(Hart& h, uint64_t pa_page, uint64_t lines);
    // Whether pa's page holds code (seq_cst: see the ordering note above).
    bool page_has_code(uint64_t pa) const;
    // Hart h (home thread) has written [pa, pa + len) (within one page) through a store tag with
    // kTlbCode; the store itself is done (seq_cst). Invalidates as described above; drops h's
    // kTlbCode for the page when it holds no code any more (`table`, entry of the store).
    void written(Hart& h, TlbTable& table, uint64_t va, uint64_t pa, uint64_t len);

    static constexpr unsigned kTrackedBits = 39;  // guest-physical addresses below 512 GiB

private:
    struct Page {
        std::atomic<uint64_t> lines{0};  // atomic: lines holding cached code (a superset)
        std::atomic<uint64_t> harts{0};  // atomic: bit (hartid % 64) of each hart that cached code here (only grows)
    };
    static constexpr unsigned kChunkBits = 24;  // one lazily allocated Page array (64 KiB) per 16 MiB
    static constexpr size_t kPagesPerChunk = size_t(1) << (kChunkBits - kPageBits);
    static constexpr size_t kChunks = size_t(1) << (kTrackedBits - kChunkBits);

    Page* page(uint64_t pa) const;
    Page* page_or_create(uint64_t pa);
    void mark(Hart& h, Page& p, uint64_t pa_page, uint64_t lines);
    void invalidate_others(const Hart& h, uint64_t pa, uint64_t lines_mask, uint64_t harts);

    std::array<std::atomic<Page*>, kChunks> chunks_{};  // atomic: installed once (CAS), freed with the map

    struct Member {
        Hart* hart;
        Tlb* tlb;
    };
    mutable std::mutex members_mutex_;
    std::vector<Member> members_;  // protected by members_mutex_
};

// h's code map (attaches h on first use). Home thread.
CodeMap& code_map(Hart& h);

// Whether the instruction `d`, decoded from host address `p`, is still there (relaxed reads:
// other harts may be storing).
inline bool insn_unchanged(const uint8_t* p, const DecodedInsn& d)
{
    auto parcel = [](const uint8_t* q) {
        return std::atomic_ref<const uint16_t>(*reinterpret_cast<const uint16_t*>(q)).load(std::memory_order_relaxed);
    };
    if (d.len == 2) return parcel(p) == (d.raw & 0xffff);
    return (parcel(p) | uint32_t(parcel(p + 2)) << 16) == d.raw;
}

// An engine (home thread) has decoded code at guest-physical [pa, pa + len): mark it in the code
// map, then check with `unchanged()` (insn_unchanged() over the block) that no store slipped in
// between. False: do not cache the block (run it uncached; the next lookup decodes it again).
template <class Unchanged>
bool track_decoded_code(Hart& h, uint64_t pa, uint64_t len, Unchanged unchanged)
{
    return code_map(h).add(h, pa, len) && unchanged();
}

// h's cached code (interpreter blocks and JIT TBs), home thread: drop what overlaps [pa, pa + len)
// (within one page; returns whether there was any); the lines of the page at pa_page it covers;
// both, then mark the remaining lines again (the work another hart's store queues).
bool drop_cached_code(Hart& h, uint64_t pa, uint64_t len);
uint64_t cached_code_lines(const Hart& h, uint64_t pa_page);
bool invalidate_cached_code(Hart& h, uint64_t pa, uint64_t len);

}  // namespace locklab::rv
