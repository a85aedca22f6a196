#include "cpu/block_cache.h"

namespace locklab::rv {

Block* BlockCache::insert(std::unique_ptr<Block> b)
{
    if (blocks_.size() >= kMaxBlocks) flush();
    Block* raw = b.get();
    recent_[slot(raw->pa)] = raw;
    blocks_[raw->pa] = std::move(b);
    return raw;
}

void BlockCache::flush()
{
    for (auto& [pa, b] : blocks_) retired_.push_back(std::move(b));
    blocks_.clear();
    recent_.fill(nullptr);
}

}  // namespace locklab::rv
