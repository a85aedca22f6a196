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
    void flush();
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
    std::array<TranslationBlock*, kJumpCache> jump_cache_{};
};

}  // namespace locklab::rv::tcg
