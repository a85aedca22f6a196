// Qcow2Refcounts: the two-level refcount structure of a qcow2 image (refcount table -> refcount
// blocks -> one refcount_bits-wide count per host cluster) and cluster allocation.
//
// Allocation writes the new count to the file before it returns, so a caller can then write the
// cluster and finally the table entry that references it (see the ordering in qcow2.cpp). A
// missing refcount block is created in the first free cluster it covers and describes itself; it
// is written before the refcount-table entry that points at it. When the table covers no free
// cluster any more it grows (see grow_table()); past QEMU's 8 MiB cap allocation gets -ENOSPC.
//
// Not thread-safe: the owning driver calls it under its metadata mutex.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "block/host_file.h"
#include "block/qcow2_cache.h"
#include "block/qcow2_header.h"

namespace locklab {

class Qcow2Refcounts {
public:
    // Loads and validates the refcount table (throws BlockError naming the bad entry).
    Qcow2Refcounts(const HostFile& file, const Qcow2Header& h, uint64_t file_size);

    int get(uint64_t cluster_index, uint64_t& count);
    // Finds a free cluster, sets its count to 1 on disk, returns its host offset. 0 or -errno.
    int alloc_cluster(uint64_t& offset);
    // Decrements the count of every cluster overlapping [offset, offset + bytes). -EIO if one is
    // already zero (the image is inconsistent).
    int release(uint64_t offset, uint64_t bytes);
    // A region that allocation must never hand out even if its counts say free (header, L1 table,
    // refcount table): a corrupt image then fails allocation instead of overwriting metadata.
    void protect(uint64_t offset, uint64_t bytes);

private:
    int set(uint64_t cluster_index, uint64_t count);
    int create_refblock(uint64_t table_index, uint64_t at_cluster);
    int grow_table();
    bool is_protected(uint64_t cluster_index) const;

    const HostFile& file_;
    const uint64_t cluster_size_;
    const uint32_t cluster_bits_;
    const uint32_t refcount_order_;
    const uint64_t refblock_entries_;
    uint64_t table_offset_;        // where the refcount table is (moves when it grows)
    std::vector<uint64_t> table_;  // the refcount table (host offsets of refcount blocks, 0 = none)
    Qcow2TableCache blocks_;       // refcount blocks
    uint64_t free_hint_ = 0;       // no free cluster below this index
    std::vector<std::pair<uint64_t, uint64_t>> protected_;  // [first, end) cluster indices, besides
                                                            // the refcount table's own clusters
};

}  // namespace locklab
