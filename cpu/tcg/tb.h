// Translation blocks and the per-hart cache of them.
//
// A TranslationBlock is the host code for the guest block at one (virtual pc, physical pc) pair. No
// other state changes what the code means: the privilege level, MPRV and satp are consulted at run
// time (loads and stores go through the TLB of the current translation context, whose table the run
// loop hands to the code on entry; privileged operations are helper calls that check their own
// rules), and every operation that can change them ends the block and returns to the run loop.
//
// Threading: one cache per hart, used by its home thread only (translation, lookup, chaining and
// flushes all happen there), so concurrent vCPUs never share a TB; fence.i — which RISC-V requires
// on the hart that executes modified code — flushes that hart's cache.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "cpu/tcg/ir.h"

namespace locklab::rv::tcg {

inline constexpr uint32_t kNoSite = ~uint32_t(0);

struct alignas(8) TranslationBlock {
    uint64_t pc = 0;          // guest virtual address of the first instruction
    uint64_t pa = 0;          // its guest-physical address
    uint32_t guest_bytes = 0;
    std::vector<GuestInsn> guest;  // the instructions (helper calls point into it: never resized)
    const uint8_t* code = nullptr;  // entry point in the code buffer
    uint32_t code_size = 0;
    // Direct exits (GotoTb / both sides of a Branch): slot -> offset of the rel32 of the patchable
    // jmp in `code`, and the guest pc it continues at.
    std::array<uint32_t, 2> jmp_site{kNoSite, kNoSite};
    std::array<uint64_t, 2> jmp_target{};
    std::array<TranslationBlock*, 2> chained_to{};  // where each patched exit jumps now (null: not chained)
    bool invalid = false;  // dropped by invalidate(): may still be running, must not be chained from
};

class TbCache {
public:
    TranslationBlock* find(uint64_t pc, uint64_t pa)
    {
        TranslationBlock* tb = jump_cache_[slot(pc)];
        if (tb && tb->pc == pc && tb->pa == pa) return tb;
        auto it = tbs_.find(Key{pc, pa});
        if (it == tbs_.end()) return nullptr;
        jump_cache_[slot(pc)] = it->second.get();
        return it->second.get();
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
    uint64_t code_lines(uint64_t pa_page) const;
    size_t size() const { return tbs_.size(); }

private:
    struct Key {
        uint64_t pc, pa;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        size_t operator()(const Key& k) const { return size_t(k.pc * 0x9e3779b97f4a7c15ull ^ k.pa); }
    };
    static constexpr size_t kJumpCache = 4096;  // per-vCPU direct-mapped front, by virtual pc
    static size_t slot(uint64_t pc) { return (pc >> 1) & (kJumpCache - 1); }

    std::unordered_map<Key, std::unique_ptr<TranslationBlock>, KeyHash> tbs_;
    std::unordered_map<uint64_t, std::vector<TranslationBlock*>> by_page_;  // the TBs of each physical page
    std::array<TranslationBlock*, kJumpCache> jump_cache_{};
    std::vector<std::unique_ptr<TranslationBlock>> retired_;  // invalidated, maybe still running
};

}  // namespace locklab::rv::tcg
