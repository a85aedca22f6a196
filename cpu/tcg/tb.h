// Translation blocks and the per-hart cache of them.
//
// A TranslationBlock is the host code for the guest block at one (virtual pc, physical pc) pair, in
// one of two data regimes: data accesses translated or not (phys_data: effective data privilege M,
// whose loads from RAM skip the TLB, cpu/tcg/ram_window.h). No other state changes what the code
// means: the privilege level, MPRV and satp are consulted at run time (loads and stores go through
// the TLB of the current translation context, whose table the run loop hands to the code on entry;
// privileged operations are helper calls that check their own rules), and every operation that can
// change them ends the block and returns to the run loop.
//
// Threading: one cache per hart, used by its home thread only (translation, lookup, chaining,
// invalidation and flushes all happen there), so concurrent vCPUs never share a TB or its code.
// Stores by any hart to cached code reach the cache through cpu/code_map.h: the storing hart
// invalidates its own TBs at once, other harts run the invalidation as run_on_cpu() work before they
// execute again. fence.i flushes the hart's whole cache.
//
// Why per hart and not one cache shared by all vCPU threads (issue 6 names oneTBB's concurrent map
// as the default; experiments/tb_cache_bench, Release, this 2-core host shared with other builds, so
// CPU times, median of 3):
//   lookup of a block in the jump cache (1,000 blocks)   per-vCPU 1.6 ns   shared map + per-vCPU jump
//                                                        cache: the same path, 1.5-1.8 ns
//   lookup that reaches the map (20,000 blocks)          per-vCPU 26-32 ns   tbb::concurrent_hash_map
//                                                        54-61 ns   tbb::concurrent_unordered_map 52-58 ns
//                                                        (1 and 2 threads; private maps do not
//                                                        contend, a shared one takes a bucket lock or
//                                                        walks a split-ordered list)
//   insert (20,000, TB allocation included)              210 ns   concurrent_hash_map 210 ns
//                                                        concurrent_unordered_map 186 ns
//   translations of 4-hart guests (-d tb_stats)          demo: 314 per-hart = 2.45x the 128 distinct
//                                                        blocks; smp: 378 = 2.33x of 162; 17.7 us
//                                                        each (smp, wall clock; demo's 244 us mean
//                                                        was host load), so sharing would save a few
//                                                        ms of translation per run
// A shared cache would save those few milliseconds but needs what per-hart code avoids: a code
// buffer shared by threads, chaining patches on code other threads execute (aligned, atomic jump
// displacements) and flushing it only with every vCPU stopped (QEMU's exclusive section), and a
// fence.i would drop every hart's code. Lookups, the path that runs millions of times, are ~2x
// faster private. So the cache stays per hart; the jump cache in front of it is per vCPU either way.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "cpu/code_page_index.h"
#include "cpu/tcg/ir.h"

namespace locklab::rv::tcg {

// Direct exits per block: the two of its terminator and up to six side exits (a superblock's
// conditional branches). NextFn's `from` carries the slot in a TranslationBlock pointer's low bits.
inline constexpr unsigned kMaxExits = 8;
inline constexpr uint32_t kMaxSideExits = kMaxExits - 2;

struct alignas(kMaxExits) TranslationBlock {
    uint64_t pc = 0;          // guest virtual address of the first instruction
    uint64_t pa = 0;          // its guest-physical address
    // Compiled for untranslated data accesses (effective data privilege M): its loads use the RAM
    // window (cpu/tcg/ram_window.h). Part of the key: such code is wrong under a translating context.
    bool phys_data = false;
    uint32_t guest_bytes = 0;
    std::vector<GuestInsn> guest;  // the instructions (helper calls point into it: never resized)
    const uint8_t* code = nullptr;  // entry point in the code buffer
    uint32_t code_size = 0;
    // Direct exits (GotoTb, both sides of a Branch, side exits), slots 0..exits-1: the offset in
    // `code` of the rel32 of the patchable jmp or jcc, the offset that rel32 points at unchained (the
    // way to the lookup), and the guest pc the exit continues at.
    uint8_t exits = 0;
    std::array<uint32_t, kMaxExits> jmp_site{};
    std::array<uint32_t, kMaxExits> jmp_reset{};
    std::array<uint64_t, kMaxExits> jmp_target{};
    std::array<TranslationBlock*, kMaxExits> chained_to{};  // where each patched exit jumps now (null: not chained)
    bool invalid = false;  // dropped by invalidate(): may still be running, must not be chained from
    std::array<uint8_t, kGuestRegs> reg_uses{};  // RegisterProfile::count_uses() of its IR
};

class TbCache {
public:
    static constexpr size_t kJumpCache = 4096;  // per-vCPU direct-mapped front, by virtual pc
    static constexpr unsigned kJumpCacheShift = 1;  // instructions are 2-byte aligned
    static size_t slot(uint64_t pc) { return (pc >> kJumpCacheShift) & (kJumpCache - 1); }
    // The jump cache's entries (indexed by slot(pc)), for generated code's inline lookup of an
    // indirect jump's target; stable for the cache's lifetime.
    TranslationBlock* const* jump_cache() const { return jump_cache_.data(); }

    TranslationBlock* find(uint64_t pc, uint64_t pa, bool phys_data)
    {
        TranslationBlock* tb = jump_cache_[slot(pc)];
        if (tb && tb->pc == pc && tb->pa == pa && tb->phys_data == phys_data) return tb;
        auto it = tbs_.find(Key{pc, pa, phys_data});
        if (it == tbs_.end()) return nullptr;
        jump_cache_[slot(pc)] = it->second.get();
        return it->second.get();
    }
    // The block the jump cache holds for virtual pc, whatever its physical address (a sample for
    // the register profile, never to run), or null.
    const TranslationBlock* peek(uint64_t pc) const
    {
        const TranslationBlock* tb = jump_cache_[slot(pc)];
        return tb && tb->pc == pc ? tb : nullptr;
    }
    TranslationBlock* insert(std::unique_ptr<TranslationBlock> tb);
    // Drop everything. Only where no generated code runs.
    void flush();
    // Drop the TBs overlapping guest-physical [pa, pa + len) (within one page): out of the map and
    // the jump cache, every chained jump into them patched back (chains stay within a page). They
    // may be executing: kept allocated until collect(). Returns whether there were any.
    bool invalidate(uint64_t pa, uint64_t len);
    // Free dropped TBs: only where no generated code runs.
    void collect() { retired_.clear(); }
    // The 64-byte lines (cpu/code_map.h) of the page at pa_page that cached TBs cover.
    uint64_t code_lines(uint64_t pa_page) const { return by_page_.code_lines(pa_page); }
    size_t size() const { return tbs_.size(); }

private:
    struct Key {
        uint64_t pc, pa;
        bool phys_data;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        size_t operator()(const Key& k) const { return size_t(k.pc * 0x9e3779b97f4a7c15ull ^ k.pa ^ uint64_t(k.phys_data) << 63); }
    };

    std::unordered_map<Key, std::unique_ptr<TranslationBlock>, KeyHash> tbs_;
    CodePageIndex<TranslationBlock, &TranslationBlock::guest_bytes> by_page_;  // for invalidate()
    std::array<TranslationBlock*, kJumpCache> jump_cache_{};
    std::vector<std::unique_ptr<TranslationBlock>> retired_;  // invalidated, maybe still running
};

}  // namespace locklab::rv::tcg
