// Qcow2TableCache: recently used metadata clusters (L2 tables, refcount blocks) of one image, kept
// in memory in their on-disk (big-endian) form and written through: every change reaches the file
// before the call returns, so the order of metadata writes is the order of the calls (the crash
// consistency argument in qcow2.cpp relies on it).
//
// Not thread-safe: the owning driver calls it under its metadata mutex.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <unordered_map>
#include <vector>

#include "block/host_file.h"

namespace locklab {

class Qcow2TableCache {
public:
    using Table = std::shared_ptr<std::vector<uint8_t>>;

    Qcow2TableCache(const HostFile& file, uint64_t cluster_size, size_t capacity);

    // The cluster at host `offset`, read on a miss. 0 or -errno.
    int get(uint64_t offset, Table& out);
    // The cluster at host `offset` if it is cached (true), without any I/O.
    bool find(uint64_t offset, Table& out);
    // Writes a whole new table to the file at `offset`, then caches it. 0 or -errno.
    int create(uint64_t offset, std::vector<uint8_t> content, Table& out);
    // After the caller changed bytes [pos, pos + len) of `table` (cached at `offset`), writes them.
    // On failure the cached copy is dropped, so the next get() sees what the file holds.
    int write_back(uint64_t offset, const Table& table, uint64_t pos, uint64_t len);
    void forget(uint64_t offset);  // drop a cached copy (the cluster was freed)

    uint64_t cluster_size() const { return cluster_size_; }

private:
    void insert(uint64_t offset, Table t);

    const HostFile& file_;
    const uint64_t cluster_size_;
    const size_t capacity_;
    std::list<uint64_t> lru_;  // most recently used first
    struct Entry {
        Table table;
        std::list<uint64_t>::iterator pos;
    };
    std::unordered_map<uint64_t, Entry> entries_;
};

}  // namespace locklab
