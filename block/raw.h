// RawDriver: the "raw" format: the virtual disk is the host file, byte for byte.
#pragma once

#include <memory>

#include "block/block_driver.h"
#include "block/host_file.h"

namespace locklab {

class RawDriver final : public BlockDriver {
public:
    explicit RawDriver(std::unique_ptr<HostFile> file);  // throws BlockError if its size is unknown

    const char* format_name() const override { return "raw"; }
    uint64_t length() const override { return length_; }
    bool read_only() const override { return file_->read_only(); }

    int read(uint64_t offset, const IoVector& iov) override;
    int write(uint64_t offset, const IoVector& iov) override;
    int flush() override;
    int write_zeroes(uint64_t offset, uint64_t bytes, bool may_unmap) override;
    int discard(uint64_t offset, uint64_t bytes) override;
    // HostFile's RWF_NOWAIT transfers (on this project's ext4 hosts: reads of cached pages; buffered
    // writes are refused, -EOPNOTSUPP, and then never tried again).
    int try_read_nowait(uint64_t offset, const IoVector& iov) override;
    int try_write_nowait(uint64_t offset, const IoVector& iov) override;

private:
    // What a request is refused with before any I/O: -EROFS (a write to a read-only image),
    // -EINVAL (a range outside the disk), else 0.
    int refused(uint64_t offset, uint64_t bytes, bool writing) const;

    const std::unique_ptr<HostFile> file_;  // immutable; thread-safe
    const uint64_t length_;                 // the file's size at open; the disk never resizes
};

}  // namespace locklab
