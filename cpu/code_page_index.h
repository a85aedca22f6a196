// A hart's cached code by guest-physical page, for invalidation (cpu/code_map.h): the interpreter's
// blocks (cpu/block_cache.h) and the JIT's translation blocks (cpu/tcg/tb.h) both keep one. T has
// `uint64_t pa` (its first byte) and a byte length, the member kBytes; an entry lies in one page.
// Home thread only, like the caches.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "cpu/code_map.h"

namespace locklab::rv {

template <class T, uint32_t T::*kBytes>
class CodePageIndex {
public:
    void add(T* x) { pages_[x->pa & kPageMask].push_back(x); }
    void clear() { pages_.clear(); }

    // Take the entries overlapping guest-physical [pa, pa + len) (within one page) out of the index.
    std::vector<T*> take_overlapping(uint64_t pa, uint64_t len)
    {
        std::vector<T*> taken;
        auto page = pages_.find(pa & kPageMask);
        if (page == pages_.end()) return taken;
        std::erase_if(page->second, [&](T* x) {
            if (x->pa >= pa + len || x->pa + x->*kBytes <= pa) return false;
            taken.push_back(x);
            return true;
        });
        if (page->second.empty()) pages_.erase(page);
        return taken;
    }
    // The entries of the page at pa_page.
    const std::vector<T*>& in_page(uint64_t pa_page) const
    {
        static const std::vector<T*> kNone;
        auto page = pages_.find(pa_page);
        return page == pages_.end() ? kNone : page->second;
    }
    // The 64-byte lines of the page at pa_page its entries cover.
    uint64_t code_lines(uint64_t pa_page) const
    {
        uint64_t lines = 0;
        for (const T* x : in_page(pa_page)) lines |= code_line_mask(x->pa, x->*kBytes);
        return lines;
    }

private:
    std::unordered_map<uint64_t, std::vector<T*>> pages_;
};

}  // namespace locklab::rv
