// BlockDriver: one disk-image format over one host file (raw, qcow2). This is the synchronous,
// format-level half of the block layer; block/block_backend.h makes it asynchronous on an
// AioContext.
//
// Threading: every method may be called from any thread, concurrently (the backend's worker threads
// call them). A driver protects its own metadata (qcow2: one metadata mutex, like QEMU's s->lock);
// data reads and writes to distinct, already-allocated clusters may proceed in parallel.
//
// Errors: I/O methods return 0 or a negative errno (-EIO for a host I/O error, -EINVAL for a range
// outside the disk, -EROFS for a write to a read-only image, -ENOSPC, ...); they never throw.
// Opening throws BlockError with what is wrong and where (file, offset, field).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace locklab {

class BlockError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A scatter-gather list of host buffers (for virtio-blk: guest RAM mapped to host pointers).
using IoVector = std::vector<std::span<uint8_t>>;

class BlockDriver {
public:
    virtual ~BlockDriver() = default;

    virtual const char* format_name() const = 0;  // "raw", "qcow2"
    virtual uint64_t length() const = 0;          // virtual disk size in bytes (immutable)
    virtual bool read_only() const = 0;

    // Reads/writes iov's total size at byte `offset` of the virtual disk. Unallocated parts read
    // from the backing file or as zeroes.
    virtual int read(uint64_t offset, const IoVector& iov) = 0;
    virtual int write(uint64_t offset, const IoVector& iov) = 0;
    // Makes every write that completed before the call durable (metadata first, then fdatasync).
    virtual int flush() = 0;
    // Optional: the range reads as zeroes afterwards (qcow2: zero clusters / deallocation).
    // Default: -ENOTSUP.
    virtual int write_zeroes(uint64_t offset, uint64_t bytes, bool may_unmap);
    virtual int discard(uint64_t offset, uint64_t bytes);

    // Optional fast path, tried by BlockBackend in the submitting thread before it hands a read or
    // write to its worker threads: the same transfer as read()/write(), done only if it needs
    // neither a lock that may be held across host I/O nor host I/O that waits for the disk
    // (HostFile's RWF_NOWAIT calls). 0: done, with read()/write()'s result. A negative errno: not
    // done (-EAGAIN would block, -ENOTSUP/-EOPNOTSUPP cannot, others: let read()/write() say it);
    // part of the transfer may have happened (a read's buffers hold anything), and the caller does
    // the whole request again with read()/write(), which is idempotent for a read and for a write
    // of the same data. Default: -ENOTSUP.
    virtual int try_read_nowait(uint64_t offset, const IoVector& iov);
    virtual int try_write_nowait(uint64_t offset, const IoVector& iov);
};

struct BlockOpenOptions {
    std::string format;      // "raw", "qcow2", or empty: probe (qcow2 magic, else raw)
    bool read_only = false;  // backing files are always opened read-only
};

// Opens `path` with the given format; for qcow2, its backing chain too (relative names resolved
// against the image's folder). Throws BlockError.
std::unique_ptr<BlockDriver> open_block_driver(const std::string& path, const BlockOpenOptions& opts);

}  // namespace locklab
