#include "cpu/tcg/tb.h"

#include "cpu/tcg/backend_x64.h"

namespace locklab::rv::tcg {

TranslationBlock* TbCache::insert(std::unique_ptr<TranslationBlock> tb)
{
    TranslationBlock* raw = tb.get();
    jump_cache_[slot(raw->pc)] = raw;
    by_page_.add(raw);
    tbs_[Key{raw->pc, raw->pa, raw->phys_data}] = std::move(tb);
    return raw;
}

void TbCache::flush()
{
    tbs_.clear();
    by_page_.clear();
    retired_.clear();
    jump_cache_.fill(nullptr);
}

bool TbCache::invalidate(uint64_t pa, uint64_t len)
{
    const std::vector<TranslationBlock*> dropped = by_page_.take_overlapping(pa, len);
    if (dropped.empty()) return false;
    for (TranslationBlock* tb : dropped) tb->invalid = true;
    // Unchain (chains stay within a page; dropped TBs too: one may be running and must leave
    // through the lookup, which does not chain from an invalid TB).
    auto unchain = [](TranslationBlock* tb) {
        for (unsigned s = 0; s < tb->exits; ++s)
            if (tb->chained_to[s] && tb->chained_to[s]->invalid) {
                patch_jump(*tb, s, tb->code + tb->jmp_reset[s]);  // back to the lookup
                tb->chained_to[s] = nullptr;
            }
    };
    for (TranslationBlock* tb : by_page_.in_page(pa & kPageMask)) unchain(tb);
    for (TranslationBlock* tb : dropped) {
        unchain(tb);
        TranslationBlock*& cached = jump_cache_[slot(tb->pc)];
        if (cached == tb) cached = nullptr;
        auto it = tbs_.find(Key{tb->pc, tb->pa, tb->phys_data});
        retired_.push_back(std::move(it->second));
        tbs_.erase(it);
    }
    return true;
}

}  // namespace locklab::rv::tcg
