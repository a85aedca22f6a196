#include "cpu/block_cache.h"

namespace locklab::rv {

Block* BlockCache::insert(std::unique_ptr<Block> b)
{
    if (blocks_.size() >= kMaxBlocks) flush();
    Block* raw = b.get();
    recent_[slot(raw->pa)] = raw;
    by_page_.add(raw);
    blocks_[raw->pa] = std::move(b);
    return raw;
}

void BlockCache::flush()
{
    for (auto& [pa, b] : blocks_) retired_.push_back(std::move(b));
    blocks_.clear();
    by_page_.clear();
    recent_.fill(nullptr);
}

bool BlockCache::invalidate(uint64_t pa, uint64_t len)
{
    const std::vector<Block*> dropped = by_page_.take_overlapping(pa, len);
    if (dropped.empty()) return false;
    for (Block* b : dropped) {
        Block*& recent = recent_[slot(b->pa)];
        if (recent == b) recent = nullptr;
        auto it = blocks_.find(b->pa);
        retired_.push_back(std::move(it->second));
        blocks_.erase(it);
    }
    // Links stay within one page: the page's remaining blocks may point at a dropped one.
    for (Block* b : by_page_.in_page(pa & kPageMask)) b->links = {};
    return true;
}

}  // namespace locklab::rv
