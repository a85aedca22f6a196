#include "block/qcow2_cache.h"

namespace locklab {

Qcow2TableCache::Qcow2TableCache(const HostFile& file, uint64_t cluster_size, size_t capacity)
    : file_(file), cluster_size_(cluster_size), capacity_(capacity)
{
}

bool Qcow2TableCache::find(uint64_t offset, Table& out)
{
    auto it = entries_.find(offset);
    if (it == entries_.end()) return false;
    lru_.splice(lru_.begin(), lru_, it->second.pos);
    out = it->second.table;
    return true;
}

int Qcow2TableCache::get(uint64_t offset, Table& out)
{
    if (find(offset, out)) return 0;
    auto t = std::make_shared<std::vector<uint8_t>>(cluster_size_);
    if (const int ret = file_.pread(offset, t->data(), t->size()); ret < 0) return ret;
    insert(offset, t);
    out = std::move(t);
    return 0;
}

int Qcow2TableCache::create(uint64_t offset, std::vector<uint8_t> content, Table& out)
{
    content.resize(cluster_size_, 0);
    if (const int ret = file_.pwrite(offset, content.data(), content.size()); ret < 0) return ret;
    forget(offset);
    auto t = std::make_shared<std::vector<uint8_t>>(std::move(content));
    insert(offset, t);
    out = std::move(t);
    return 0;
}

int Qcow2TableCache::write_back(uint64_t offset, const Table& table, uint64_t pos, uint64_t len)
{
    const int ret = file_.pwrite(offset + pos, table->data() + pos, len);
    if (ret < 0) forget(offset);  // the file did not take the change: reread it next time
    return ret;
}

void Qcow2TableCache::forget(uint64_t offset)
{
    if (auto it = entries_.find(offset); it != entries_.end()) {
        lru_.erase(it->second.pos);
        entries_.erase(it);
    }
}

void Qcow2TableCache::insert(uint64_t offset, Table t)
{
    lru_.push_front(offset);
    entries_[offset] = Entry{std::move(t), lru_.begin()};
    while (entries_.size() > capacity_) {
        entries_.erase(lru_.back());
        lru_.pop_back();
    }
}

}  // namespace locklab
