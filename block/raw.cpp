#include "block/raw.h"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "block/io_vector.h"

namespace locklab {

namespace {

uint64_t file_length(const HostFile& f)
{
    const int64_t n = f.size();
    if (n < 0) throw BlockError("cannot get the size of '" + f.path() + "': " + std::strerror(static_cast<int>(-n)));
    return static_cast<uint64_t>(n);
}

}  // namespace

RawDriver::RawDriver(std::unique_ptr<HostFile> file) : file_(std::move(file)), length_(file_length(*file_)) {}

int RawDriver::refused(uint64_t offset, uint64_t bytes, bool writing) const
{
    if (writing && read_only()) return -EROFS;
    return range_in_disk(offset, bytes, length_) ? 0 : -EINVAL;
}

int RawDriver::read(uint64_t offset, const IoVector& iov)
{
    if (const int ret = refused(offset, iov_size(iov), false)) return ret;
    return file_->preadv(offset, iov);
}

int RawDriver::write(uint64_t offset, const IoVector& iov)
{
    if (const int ret = refused(offset, iov_size(iov), true)) return ret;
    return file_->pwritev(offset, iov);
}

int RawDriver::try_read_nowait(uint64_t offset, const IoVector& iov)
{
    if (const int ret = refused(offset, iov_size(iov), false)) return ret;
    return file_->preadv_nowait(offset, iov);
}

int RawDriver::try_write_nowait(uint64_t offset, const IoVector& iov)
{
    if (const int ret = refused(offset, iov_size(iov), true)) return ret;
    return file_->pwritev_nowait(offset, iov);
}

int RawDriver::flush() { return file_->datasync(); }

int RawDriver::write_zeroes(uint64_t offset, uint64_t bytes, bool may_unmap)
{
    if (const int ret = refused(offset, bytes, true)) return ret;
    const int mode = may_unmap ? (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE) : FALLOC_FL_ZERO_RANGE;
    if (bytes == 0 ||
        ::fallocate(file_->fd(), mode, static_cast<off_t>(offset), static_cast<off_t>(bytes)) == 0)
        return 0;
    // The host file system cannot do it (or this is a block device): write the zeroes.
    static constexpr uint64_t kChunk = 1 << 20;
    const std::vector<uint8_t> zeroes(std::min(bytes, kChunk), 0);
    for (uint64_t done = 0; done < bytes;) {
        const uint64_t n = std::min<uint64_t>(bytes - done, zeroes.size());
        if (const int ret = file_->pwrite(offset + done, zeroes.data(), n); ret < 0) return ret;
        done += n;
    }
    return 0;
}

int RawDriver::discard(uint64_t offset, uint64_t bytes)
{
    if (const int ret = refused(offset, bytes, true)) return ret;
    // Discard is advisory: a host that cannot punch holes keeps the data.
    if (bytes != 0)
        (void)::fallocate(file_->fd(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                          static_cast<off_t>(bytes));
    return 0;
}

}  // namespace locklab
