// HostFile: one open host file (or block device) with complete positional I/O: the loops over short
// transfers and EINTR that raw and qcow2 share, and the non-blocking attempts (RWF_NOWAIT) that the
// block backend's inline fast path uses. Thread-safe: pread/pwrite carry their own offset.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "block/block_driver.h"

namespace locklab {

class HostFile {
public:
    // Opens `path` (O_RDONLY if read_only, else O_RDWR; O_CLOEXEC). Throws BlockError naming the
    // file and the host error.
    HostFile(std::string path, bool read_only);
    ~HostFile();
    HostFile(const HostFile&) = delete;
    HostFile& operator=(const HostFile&) = delete;

    const std::string& path() const { return path_; }
    bool read_only() const { return read_only_; }
    int fd() const { return fd_; }

    // Current size in bytes (files: st_size; block devices: their capacity); -errno on error.
    int64_t size() const;

    // 0 or -errno. Reading past the end of the file yields zeroes (a sparse tail), as a disk would.
    int pread(uint64_t offset, void* buf, uint64_t len) const;
    int preadv(uint64_t offset, const IoVector& iov) const;
    int pwrite(uint64_t offset, const void* buf, uint64_t len) const;  // -EROFS if read-only
    int pwritev(uint64_t offset, const IoVector& iov) const;
    int datasync() const;  // fdatasync

    // The same transfers, done only if the host can do them without waiting (preadv2/pwritev2 with
    // RWF_NOWAIT: Linux >= 4.14 for buffered reads; buffered writes depend on the file system, and
    // ext4 and tmpfs refuse them). 0: all of iov moved (a read wholly past the end of the file reads
    // zeroes, as preadv's; one that crosses the end is short, see -EAGAIN). Otherwise a negative
    // errno, part of iov may have moved, and the caller does the whole transfer again with
    // preadv/pwritev:
    //   -EAGAIN      it would block: a page is not in the page cache, or a lock is busy; a short
    //                transfer counts as this (the next page is what would block), so it is never
    //                retried here;
    //   -EOPNOTSUPP  this file cannot do it (nor a kernel without preadv2/RWF_NOWAIT); remembered
    //                per direction, so later calls return it without a system call;
    //   -EROFS, -EINVAL, -EIO, ...: as preadv/pwritev (redoing the transfer reports it).
    int preadv_nowait(uint64_t offset, const IoVector& iov) const;
    int pwritev_nowait(uint64_t offset, const IoVector& iov) const;

private:
    const std::string path_;  // immutable
    const bool read_only_;    // immutable
    int fd_ = -1;             // immutable after construction
    // Set on the first EOPNOTSUPP of that direction. Relaxed atomics: only a hint, a thread that
    // has not seen it yet makes one more refused system call.
    mutable std::atomic<bool> read_nowait_refused_{false};
    mutable std::atomic<bool> write_nowait_refused_{false};
};

}  // namespace locklab
