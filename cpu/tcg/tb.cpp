#include "cpu/tcg/tb.h"

#include "cpu/code_map.h"
#include "cpu/tcg/backend_x64.h"

namespace locklab::rv::tcg {

TranslationBlock* TbCache::insert(std::unique_ptr<TranslationBlock> tb)
{
    TranslationBlock* raw = tb.get();
    jump_cache_[slot(raw->pc)] = raw;
    by_page_[raw->pa & kPageMask].push_back(raw);
    tbs_[Key{raw->pc, raw->pa}] = std::move(tb);
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
    auto page = by_page_.find(pa & kPageMask);
    if (page == by_page_.end()) return false;
    std::vector<TranslationBlock*>& list = page->second;
    bool any = false;
    for (TranslationBlock* tb : list) {
        if (tb->pa >= pa + len || tb->pa + tb->guest_bytes <= pa) continue;
        tb->invalid = true;
        any = true;
    }
    if (!any) return false;
    // Unchain first (dropped TBs too: one may be running and must leave through the lookup).
    for (TranslationBlock* tb : list)
        for (unsigned s = 0; s < 2; ++s)
            if (tb->chained_to[s] && tb->chained_to[s]->invalid) {
                patch_jump(*tb, s, tb->code + tb->jmp_site[s] + 4);  // back to the lookup after the jmp
                tb->chained_to[s] = nullptr;
            }
    std::erase_if(list, [&](TranslationBlock* tb) {
        if (!tb->invalid) return false;
        TranslationBlock*& cached = jump_cache_[slot(tb->pc)];
        if (cached == tb) cached = nullptr;
        auto it = tbs_.find(Key{tb->pc, tb->pa});
        retired_.push_back(std::move(it->second));
        tbs_.erase(it);
        return true;
    });
    if (list.empty()) by_page_.erase(page);
    return true;
}

uint64_t TbCache::code_lines(uint64_t pa_page) const
{
    auto page = by_page_.find(pa_page);
    if (page == by_page_.end()) return 0;
    uint64_t lines = 0;
    for (const TranslationBlock* tb : page->second) lines |= code_line_mask(tb->pa, tb->guest_bytes);
    return lines;
}

}  // namespace locklab::rv::tcg
