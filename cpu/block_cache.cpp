#include "cpu/block_cache.h"

#include "cpu/code_map.h"

namespace locklab::rv {

Block* BlockCache::insert(std::unique_ptr<Block> b)
{
    if (blocks_.size() >= kMaxBlocks) flush();
    Block* raw = b.get();
    recent_[slot(raw->pa)] = raw;
    by_page_[raw->pa & kPageMask].push_back(raw);
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
    auto page = by_page_.find(pa & kPageMask);
    if (page == by_page_.end()) return false;
    std::vector<Block*>& list = page->second;
    const size_t before = list.size();
    std::erase_if(list, [&](Block* b) {
        if (b->pa >= pa + len || b->pa + b->bytes <= pa) return false;
        Block*& recent = recent_[slot(b->pa)];
        if (recent == b) recent = nullptr;
        auto it = blocks_.find(b->pa);
        retired_.push_back(std::move(it->second));
        blocks_.erase(it);
        return true;
    });
    if (list.size() == before) return false;
    // Links stay within one page: the page's remaining blocks may point at a dropped one.
    for (Block* b : list) b->links = {};
    if (list.empty()) by_page_.erase(page);
    return true;
}

uint64_t BlockCache::code_lines(uint64_t pa_page) const
{
    auto page = by_page_.find(pa_page);
    if (page == by_page_.end()) return 0;
    uint64_t lines = 0;
    for (const Block* b : page->second) lines |= code_line_mask(b->pa, b->bytes);
    return lines;
}

}  // namespace locklab::rv
