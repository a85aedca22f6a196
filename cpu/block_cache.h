// The interpreter's cache of decoded basic blocks, one per hart (home thread only).
//
// A Block is the decoded form of the straight-line code starting at one guest-physical address: up
// to kMaxBlockInsns instructions, ending after a control transfer (OPF_BRANCH), after an
// OPF_SYSTEM operation, or at the end of the page. Keying by physical address makes the cache
// independent of satp and privilege: the fetch TLB check at block entry maps the pc to it.
// Blocks are dropped all at once (fence.i, Hart::code_flush(), or when the cache is full), or those
// overlapping bytes a store changed (invalidate(), from cpu/code_map.h: self-modifying code); dropped
// blocks are kept until the interpreter reaches a safe point (collect()), because the block that
// executed fence.i or the store is still running when it is dropped.
//
// Chaining: a block remembers up to two successor blocks that start in the same virtual page
// (the two sides of a branch). The interpreter follows such a link without a fetch TLB lookup:
// inside one page the translation that was checked on entry to the first block still holds, and
// nothing inside a block can change it (satp, privilege and fence.i are OPF_SYSTEM and end a block).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "cpu/code_page_index.h"
#include "cpu/decoded_insn.h"
#include "cpu/tlb.h"

namespace locklab::rv {

inline constexpr uint32_t kMaxBlockInsns = 64;

struct CachedInsn {
    const void* handler = nullptr;  // the interpreter's dispatch label for d.op
    DecodedInsn d;
    uint32_t offset = 0;  // byte offset from the block's first instruction
};

struct Block {
    uint64_t pa = 0;     // guest-physical address of the first instruction
    uint32_t n = 0;      // number of instructions
    uint32_t bytes = 0;  // their total length
    // n instructions, then a sentinel whose handler is the interpreter's fall-through label.
    std::vector<CachedInsn> insns;

    struct Link {
        uint64_t pc = ~uint64_t(0);  // virtual address of the successor (odd: no link)
        Block* to = nullptr;
    };
    // Successors in the same virtual page as this block (the caller checks that when linking).
    // Keyed by the virtual pc they were reached at: a block entered through another mapping of its
    // page simply misses its links.
    std::array<Link, 2> links{};
    unsigned next_link = 0;  // which slot link() replaces next

    Block* linked(uint64_t pc) const
    {
        if (links[0].pc == pc) return links[0].to;
        if (links[1].pc == pc) return links[1].to;
        return nullptr;
    }
    void link(uint64_t pc, Block* to)
    {
        links[next_link] = {pc, to};
        next_link ^= 1;
    }
};

struct BlockCache {
    // Bound on cached blocks: reaching it drops them all (cheap, and guest code rarely needs more).
    static constexpr size_t kMaxBlocks = 1 << 16;

    Block* find(uint64_t pa) const
    {
        Block* b = recent_[slot(pa)];
        if (b && b->pa == pa) return b;
        auto it = blocks_.find(pa);
        if (it == blocks_.end()) return nullptr;
        recent_[slot(pa)] = it->second.get();
        return it->second.get();
    }
    Block* insert(std::unique_ptr<Block> b);
    // Drop every block (they stay allocated until collect()).
    void flush();
    // Drop the blocks overlapping guest-physical [pa, pa + len) (within one page), and the links to
    // them. Returns whether there were any.
    bool invalidate(uint64_t pa, uint64_t len);
    // The 64-byte lines (cpu/code_map.h) of the page at pa_page that cached blocks cover.
    uint64_t code_lines(uint64_t pa_page) const { return by_page_.code_lines(pa_page); }
    // Free dropped blocks: only where no block is executing.
    void collect() { retired_.clear(); }
    size_t size() const { return blocks_.size(); }

    // The dispatch-label table the cached handlers point into (the interpreter has one per loop
    // variant; switching variant flushes).
    const void* const* labels = nullptr;

private:
    static size_t slot(uint64_t pa) { return (pa >> 1) & (kRecent - 1); }
    static constexpr size_t kRecent = 4096;

    std::unordered_map<uint64_t, std::unique_ptr<Block>> blocks_;  // by pa
    CodePageIndex<Block, &Block::bytes> by_page_;                  // for invalidate()
    mutable std::array<Block*, kRecent> recent_{};                   // direct-mapped front of blocks_
    std::vector<std::unique_ptr<Block>> retired_;                    // flushed, not yet freed
};

}  // namespace locklab::rv
