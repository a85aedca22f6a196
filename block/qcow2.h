// Qcow2Driver: the qcow2 format, versions 2 and 3 (docs/interop/qcow2.rst): reads through L1/L2
// tables with zero, compressed and unallocated clusters (the latter read from the backing file),
// writes with cluster allocation, refcounts kept consistent, and metadata written in an order that
// a SIGKILL at any point leaves the image consistent (see qcow2.cpp).
//
// Not supported, refused at open: encryption, external data files, zstd compression, extended L2
// entries, images with the dirty or corrupt bit; writing to images with internal snapshots;
// resizing.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "block/block_driver.h"
#include "block/host_file.h"
#include "block/qcow2_cache.h"
#include "block/qcow2_header.h"
#include "block/qcow2_refcount.h"

namespace locklab {

class Qcow2Driver final : public BlockDriver {
public:
    // Opens the backing file named in the header (`name` as stored, `format` from the
    // backing-format extension or empty); called once during open if there is one.
    using BackingOpener = std::function<std::unique_ptr<BlockDriver>(const std::string& name, const std::string& format)>;

    // Throws BlockError for a malformed or unsupported image.
    Qcow2Driver(std::unique_ptr<HostFile> file, const BackingOpener& open_backing);
    ~Qcow2Driver() override;

    const char* format_name() const override { return "qcow2"; }
    uint64_t length() const override { return header_.size; }
    bool read_only() const override { return file_->read_only(); }
    const Qcow2Header& header() const { return header_; }
    BlockDriver* backing() const { return backing_.get(); }

    int read(uint64_t offset, const IoVector& iov) override;
    int write(uint64_t offset, const IoVector& iov) override;
    int flush() override;
    // Version 3: whole clusters become zero clusters (allocated ones stay allocated, so a
    // concurrent data write never lands in a freed cluster); partial clusters and version 2
    // images get written zeroes. may_unmap is therefore ignored.
    int write_zeroes(uint64_t offset, uint64_t bytes, bool may_unmap) override;
    int discard(uint64_t offset, uint64_t bytes) override;  // as write_zeroes

    // read() when it can be done without blocking: meta_ only by try_lock, L2 tables only from the
    // cache, data clusters and the backing file through their RWF_NOWAIT reads; zero and
    // unallocated clusters without a backing file are zero-filled. A compressed cluster is
    // -EAGAIN (inflating it is the pool's work, under meta_). Writes have no such path: an
    // allocating write takes meta_ across metadata I/O, and the in-place ones would need
    // RWF_NOWAIT buffered writes, which this project's hosts (ext4) refuse.
    int try_read_nowait(uint64_t offset, const IoVector& iov) override;

private:
    struct Mapping;
    // read() and try_read_nowait(): one walk, blocking or not (`nowait`).
    int read_clusters(uint64_t offset, const IoVector& iov, bool nowait);
    // meta_ held. With `nowait`, an L2 table that is not cached is -EAGAIN instead of a read.
    int lookup(uint64_t guest_cluster, Mapping& m, bool nowait = false);
    // Bytes from pos (at most `remaining`) that lie in clusters following `first` in the file
    // (standard, and COPIED when writing): one host I/O serves them all. meta_ held.
    uint64_t contiguous_run(uint64_t pos, uint64_t n, uint64_t remaining, const Mapping& first, bool writing,
                            bool nowait = false);
    int read_cluster_part(uint64_t pos, const Mapping& m, const IoVector& part, bool nowait = false);
    int read_backing(uint64_t pos, const IoVector& part, bool nowait);
    int read_compressed(const Mapping& m, std::vector<uint8_t>& cluster);  // meta_ held
    int allocating_write(uint64_t pos, const IoVector& part, const Mapping& m);  // meta_ held
    int ensure_l2(uint64_t l1_index, uint64_t& l2_offset);             // meta_ held
    int set_l2_entry(uint64_t guest_cluster, uint64_t entry);          // meta_ held
    int zero_cluster(uint64_t guest_cluster);                          // meta_ held
    int release_old(const Mapping& m);                                 // meta_ held
    int corrupt(const std::string& what) const;  // logs; returns -EIO

    const std::unique_ptr<HostFile> file_;      // immutable; thread-safe
    const Qcow2Header header_;                  // immutable
    const std::unique_ptr<BlockDriver> backing_;  // immutable (may be null); thread-safe itself

    // Metadata: QEMU's s->lock. Held for lookups, allocation and every metadata write; data I/O to
    // already-allocated (COPIED) clusters runs without it, which is safe because this driver never
    // frees a standard data cluster that an L2 entry still maps.
    std::mutex meta_;
    std::vector<uint64_t> l1_;                  // protected by meta_
    Qcow2TableCache l2_cache_;                  // protected by meta_
    std::unique_ptr<Qcow2Refcounts> refcounts_; // protected by meta_
};

}  // namespace locklab
