// HostFile: one open host file (or block device) with complete positional I/O: the loops over short
// transfers and EINTR that raw and qcow2 share. Thread-safe: pread/pwrite carry their own offset.
#pragma once

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

private:
    const std::string path_;  // immutable
    const bool read_only_;    // immutable
    int fd_ = -1;             // immutable after construction
};

}  // namespace locklab
