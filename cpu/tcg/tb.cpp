#include "cpu/tcg/tb.h"

namespace locklab::rv::tcg {

TranslationBlock* TbCache::insert(std::unique_ptr<TranslationBlock> tb)
{
    TranslationBlock* raw = tb.get();
    jump_cache_[slot(raw->pc)] = raw;
    tbs_[Key{raw->pc, raw->pa}] = std::move(tb);
    return raw;
}

void TbCache::flush()
{
    tbs_.clear();
    jump_cache_.fill(nullptr);
}

}  // namespace locklab::rv::tcg
