#include "block/qcow2_refcount.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unordered_set>

#include "block/qcow2_format.h"

namespace locklab {

using namespace qcow2;

namespace {

constexpr size_t kRefblockCacheSize = 32;

// Entry `i` of a refcount block. Sub-byte widths pack from the least significant bit of each byte
// (specification: "bit 0 means the least significant bit in this context"); wider ones are
// big-endian.
uint64_t load_entry(const uint8_t* b, uint64_t i, uint32_t order)
{
    switch (order) {
    case 0: case 1: case 2: {
        const uint32_t bits = 1u << order;
        const uint64_t bit = i << order;
        return (b[bit / 8] >> (bit % 8)) & ((1u << bits) - 1);
    }
    case 3: return b[i];
    case 4: return load_be16(b + 2 * i);
    case 5: return load_be32(b + 4 * i);
    default: return load_be64(b + 8 * i);
    }
}

void store_entry(uint8_t* b, uint64_t i, uint32_t order, uint64_t v)
{
    switch (order) {
    case 0: case 1: case 2: {
        const uint32_t mask = (1u << (1u << order)) - 1;
        const uint64_t bit = i << order;
        const uint32_t shift = bit % 8;
        b[bit / 8] = static_cast<uint8_t>((b[bit / 8] & ~(mask << shift)) | ((v & mask) << shift));
        break;
    }
    case 3: b[i] = static_cast<uint8_t>(v); break;
    case 4: store_be16(b + 2 * i, static_cast<uint16_t>(v)); break;
    case 5: store_be32(b + 4 * i, static_cast<uint32_t>(v)); break;
    default: store_be64(b + 8 * i, v); break;
    }
}

// The bytes of a refcount block that hold entry i: [first, first + len).
std::pair<uint64_t, uint64_t> entry_bytes(uint64_t i, uint32_t order)
{
    if (order <= 3) return {(i << order) / 8, 1};
    const uint64_t width = (uint64_t{1} << order) / 8;
    return {i * width, width};
}

}  // namespace

Qcow2Refcounts::Qcow2Refcounts(const HostFile& file, const Qcow2Header& h, uint64_t file_size)
    : file_(file), cluster_size_(h.cluster_size()), cluster_bits_(h.cluster_bits), refcount_order_(h.refcount_order),
      refblock_entries_(h.refblock_entries()), table_offset_(h.refcount_table_offset),
      blocks_(file, h.cluster_size(), kRefblockCacheSize)
{
    const uint64_t bytes = uint64_t{h.refcount_table_clusters} * cluster_size_;
    std::vector<uint8_t> raw(bytes);
    if (const int ret = file.pread(table_offset_, raw.data(), bytes); ret < 0)
        throw BlockError("qcow2 image '" + file.path() + "': cannot read the refcount table: " + std::strerror(-ret));
    table_.resize(bytes / 8);
    std::unordered_set<uint64_t> seen;
    for (uint64_t i = 0; i < table_.size(); ++i) {
        const uint64_t e = load_be64(&raw[i * 8]);
        const uint64_t at = table_offset_ + i * 8;
        auto bad = [&](const std::string& what) {
            throw BlockError("qcow2 image '" + file.path() + "': refcount table entry " + std::to_string(i) +
                             " (file offset " + std::to_string(at) + "): " + what);
        };
        if (e & kRefTableReserved) bad("reserved bits set");
        if (e % cluster_size_ != 0) bad("refcount block offset " + std::to_string(e) + " is not cluster-aligned");
        if (e != 0 && (e > file_size || cluster_size_ > file_size - e))
            bad("refcount block at " + std::to_string(e) + " lies beyond the end of the file");
        if (e != 0 && !seen.insert(e).second) bad("refcount block at " + std::to_string(e) + " is listed twice");
        table_[i] = e;
    }
    protect(0, cluster_size_);
}

void Qcow2Refcounts::protect(uint64_t offset, uint64_t bytes)
{
    if (bytes == 0) return;
    protected_.emplace_back(offset >> cluster_bits_, (offset + bytes + cluster_size_ - 1) >> cluster_bits_);
}

bool Qcow2Refcounts::is_protected(uint64_t cluster_index) const
{
    const uint64_t table_first = table_offset_ >> cluster_bits_;
    if (cluster_index >= table_first && cluster_index < table_first + ((table_.size() * 8) >> cluster_bits_)) return true;
    for (const auto& [first, end] : protected_)
        if (cluster_index >= first && cluster_index < end) return true;
    return false;
}

int Qcow2Refcounts::get(uint64_t cluster_index, uint64_t& count)
{
    const uint64_t ti = cluster_index / refblock_entries_;
    if (ti >= table_.size() || table_[ti] == 0) {
        count = 0;
        return 0;
    }
    Qcow2TableCache::Table block;
    if (const int ret = blocks_.get(table_[ti], block); ret < 0) return ret;
    count = load_entry(block->data(), cluster_index % refblock_entries_, refcount_order_);
    return 0;
}

int Qcow2Refcounts::set(uint64_t cluster_index, uint64_t count)
{
    const uint64_t ti = cluster_index / refblock_entries_;
    if (ti >= table_.size() || table_[ti] == 0) return -EIO;  // callers create the block first
    Qcow2TableCache::Table block;
    if (const int ret = blocks_.get(table_[ti], block); ret < 0) return ret;
    const uint64_t i = cluster_index % refblock_entries_;
    store_entry(block->data(), i, refcount_order_, count);
    const auto [pos, len] = entry_bytes(i, refcount_order_);
    return blocks_.write_back(table_[ti], block, pos, len);
}

int Qcow2Refcounts::create_refblock(uint64_t table_index, uint64_t at_cluster)
{
    // The new block describes itself: its own cluster lies in the range it covers.
    std::vector<uint8_t> content(cluster_size_, 0);
    store_entry(content.data(), at_cluster % refblock_entries_, refcount_order_, 1);
    const uint64_t offset = at_cluster << cluster_bits_;
    Qcow2TableCache::Table block;
    if (const int ret = blocks_.create(offset, std::move(content), block); ret < 0) return ret;
    // Only now may the table point at it.
    uint8_t entry[8];
    store_be64(entry, offset);
    if (const int ret = file_.pwrite(table_offset_ + table_index * 8, entry, 8); ret < 0) return ret;
    table_[table_index] = offset;
    return 0;
}

// Growing the refcount table when every cluster it covers is in use. The new structures go right
// after the covered range E (the first cluster no refcount block can describe): k new refcount
// blocks at E.., then the new table (N clusters), all described by those blocks. Order:
//   1. the new refcount blocks (counting themselves and the new table) are written,
//   2. the new table (old entries plus the new blocks) is written,
//   3. the header's refcount_table_offset and refcount_table_clusters change in one 12-byte write,
//   4. the old table's clusters are released through the new structure.
// Killed before 3, the image still uses the old table and the new clusters lie outside anything it
// covers (not even leaks); after 3 and before 4, the old table's clusters are leaks.
int Qcow2Refcounts::grow_table()
{
    const uint64_t old_entries = table_.size();
    const uint64_t max_clusters = kMaxRefcountTableBytes / cluster_size_;
    const uint64_t old_clusters = (old_entries * 8) >> cluster_bits_;
    const uint64_t new_clusters = std::min(max_clusters, old_clusters * 2);
    const uint64_t new_entries = (new_clusters * cluster_size_) / 8;
    // k blocks must describe themselves and the table: k * entries >= k + N.
    const uint64_t k = (new_clusters + refblock_entries_ - 2) / (refblock_entries_ - 1);
    if (new_clusters <= old_clusters || old_entries + k > new_entries) {
        std::fprintf(stderr, "locklab: qcow2 '%s': the refcount table is at its limit (%llu clusters)\n",
                     file_.path().c_str(), static_cast<unsigned long long>(old_clusters));
        return -ENOSPC;
    }
    const uint64_t first = old_entries * refblock_entries_;  // E
    if (((first + k + new_clusters) << cluster_bits_) > kOffsetMask) return -ENOSPC;

    std::vector<uint8_t> blocks(k * cluster_size_, 0);  // step 1
    for (uint64_t c = 0; c < k + new_clusters; ++c) store_entry(blocks.data(), c, refcount_order_, 1);
    if (const int ret = file_.pwrite(first << cluster_bits_, blocks.data(), blocks.size()); ret < 0) return ret;
    for (uint64_t j = 0; j < k; ++j) blocks_.forget((first + j) << cluster_bits_);

    std::vector<uint64_t> table = table_;  // step 2
    table.resize(new_entries, 0);
    for (uint64_t j = 0; j < k; ++j) table[old_entries + j] = (first + j) << cluster_bits_;
    std::vector<uint8_t> raw(new_clusters * cluster_size_);
    for (uint64_t i = 0; i < new_entries; ++i) store_be64(&raw[i * 8], table[i]);
    const uint64_t new_offset = (first + k) << cluster_bits_;
    if (const int ret = file_.pwrite(new_offset, raw.data(), raw.size()); ret < 0) return ret;

    uint8_t fields[12];  // step 3: refcount_table_offset (byte 48) and refcount_table_clusters (56)
    store_be64(fields, new_offset);
    store_be32(fields + 8, static_cast<uint32_t>(new_clusters));
    if (const int ret = file_.pwrite(48, fields, sizeof fields); ret < 0) return ret;

    const uint64_t old_offset = table_offset_;
    table_ = std::move(table);
    table_offset_ = new_offset;
    return release(old_offset, old_clusters * cluster_size_);  // step 4
}

int Qcow2Refcounts::alloc_cluster(uint64_t& offset)
{
    const uint64_t max_index = (kOffsetMask >> cluster_bits_) + 1;
    const uint64_t hint_before = free_hint_;  // grow_table() may lower it (it frees the old table)
    for (uint64_t idx = free_hint_; idx < max_index;) {
        const uint64_t ti = idx / refblock_entries_;
        if (ti >= table_.size()) {
            if (const int ret = grow_table(); ret < 0) return ret;
            continue;
        }
        if (table_[ti] == 0) {
            if (!is_protected(idx))
                if (const int ret = create_refblock(ti, idx); ret < 0) return ret;  // idx now holds it
            ++idx;
            continue;
        }
        Qcow2TableCache::Table block;
        if (const int ret = blocks_.get(table_[ti], block); ret < 0) return ret;
        for (uint64_t i = idx % refblock_entries_; i < refblock_entries_; ++i, ++idx) {
            if (load_entry(block->data(), i, refcount_order_) != 0 || is_protected(idx)) continue;
            if (const int ret = set(idx, 1); ret < 0) return ret;
            if (free_hint_ >= hint_before) free_hint_ = idx + 1;
            offset = idx << cluster_bits_;
            return 0;
        }
    }
    return -ENOSPC;
}

int Qcow2Refcounts::release(uint64_t offset, uint64_t bytes)
{
    if (bytes == 0) return 0;
    const uint64_t first = offset >> cluster_bits_, last = (offset + bytes - 1) >> cluster_bits_;
    for (uint64_t idx = first; idx <= last; ++idx) {
        uint64_t count = 0;
        if (const int ret = get(idx, count); ret < 0) return ret;
        if (count == 0) {
            std::fprintf(stderr, "locklab: qcow2 '%s': freeing cluster %llu whose refcount is already 0\n",
                         file_.path().c_str(), static_cast<unsigned long long>(idx));
            return -EIO;
        }
        if (const int ret = set(idx, count - 1); ret < 0) return ret;
        if (count == 1 && idx < free_hint_) free_hint_ = idx;
    }
    return 0;
}

}  // namespace locklab
