#include "block/host_file.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

#include "block/io_vector.h"

namespace locklab {

HostFile::HostFile(std::string path, bool read_only) : path_(std::move(path)), read_only_(read_only)
{
    fd_ = ::open(path_.c_str(), (read_only_ ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd_ < 0) {
        const int err = errno;
        throw BlockError("cannot open '" + path_ + "'" + (read_only_ ? " read-only" : " read-write") + ": " +
                         std::strerror(err));
    }
    struct stat st{};
    if (::fstat(fd_, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
        ::close(fd_);
        throw BlockError("'" + path_ + "' is not a regular file or block device");
    }
}

HostFile::~HostFile() { ::close(fd_); }

int64_t HostFile::size() const
{
    struct stat st{};
    if (::fstat(fd_, &st) != 0) return -errno;
    if (S_ISBLK(st.st_mode)) {
        uint64_t bytes = 0;
        if (::ioctl(fd_, BLKGETSIZE64, &bytes) != 0) return -errno;
        return static_cast<int64_t>(bytes);
    }
    return st.st_size;
}

namespace {

// Runs `op` (preadv/pwritev on an iovec array) until all of `iov` moved. A read that hits the end
// of the file zero-fills the rest. With `short_is_again` (RWF_NOWAIT), a call that moved less than
// it was given ends the transfer with -EAGAIN: the next byte is one that would block.
template <class Op>
int transfer(const IoVector& iov, uint64_t offset, bool is_read, bool short_is_again, Op op)
{
    uint64_t done = 0;
    const uint64_t total = iov_size(iov);
    if (offset > static_cast<uint64_t>(INT64_MAX) - total) return -EINVAL;
    while (done < total) {
        const IoVector rest = iov_slice(iov, done, total - done);
        std::vector<struct iovec> v;
        v.reserve(std::min<size_t>(rest.size(), IOV_MAX));
        uint64_t given = 0;
        for (const auto& s : rest) {
            if (v.size() == IOV_MAX) break;
            v.push_back({s.data(), s.size()});
            given += s.size();
        }
        const ssize_t n = op(v.data(), static_cast<int>(v.size()), static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        if (n == 0) {
            if (!is_read) return -EIO;
            iov_fill_zero(rest);
            return 0;
        }
        if (short_is_again && static_cast<uint64_t>(n) < given) return -EAGAIN;
        done += static_cast<uint64_t>(n);
    }
    return 0;
}

#if defined(__SANITIZE_THREAD__)
// libtsan's own entry points (not in its public headers).
extern "C" void __tsan_read_range(void* addr, unsigned long size);
extern "C" void __tsan_write_range(void* addr, unsigned long size);
#endif

// ThreadSanitizer intercepts preadv/pwritev but not preadv2/pwritev2 (GCC 12's libtsan), so without
// this it would not see the guest RAM a NOWAIT transfer reads or writes and could not check that
// transfer's ordering against the vCPUs (the pool's preadv/pwritev it does see). Returns n.
ssize_t tell_tsan(const iovec* v, int count, ssize_t n, bool into_memory)
{
#if defined(__SANITIZE_THREAD__)
    ssize_t left = n;
    for (int k = 0; k < count && left > 0; ++k) {
        const auto len = static_cast<unsigned long>(std::min<ssize_t>(left, static_cast<ssize_t>(v[k].iov_len)));
        if (into_memory) __tsan_write_range(v[k].iov_base, len);
        else __tsan_read_range(v[k].iov_base, len);
        left -= static_cast<ssize_t>(len);
    }
#else
    (void)v;
    (void)count;
    (void)into_memory;
#endif
    return n;
}

// A NOWAIT transfer's result; EOPNOTSUPP (RWF_NOWAIT not supported for this file or kernel) and
// ENOSYS (no preadv2/pwritev2) are remembered in `refused` and both reported as -EOPNOTSUPP.
int note_refusal(int ret, std::atomic<bool>& refused)
{
    if (ret != -EOPNOTSUPP && ret != -ENOSYS) return ret;
    refused.store(true, std::memory_order_relaxed);
    return -EOPNOTSUPP;
}

}  // namespace

int HostFile::preadv(uint64_t offset, const IoVector& iov) const
{
    return transfer(iov, offset, true, false, [this](const iovec* v, int n, off_t off) { return ::preadv(fd_, v, n, off); });
}

int HostFile::pwritev(uint64_t offset, const IoVector& iov) const
{
    if (read_only_) return -EROFS;
    return transfer(iov, offset, false, false, [this](const iovec* v, int n, off_t off) { return ::pwritev(fd_, v, n, off); });
}

int HostFile::preadv_nowait(uint64_t offset, const IoVector& iov) const
{
    if (read_nowait_refused_.load(std::memory_order_relaxed)) return -EOPNOTSUPP;
    return note_refusal(transfer(iov, offset, true, true,
                                 [this](const iovec* v, int n, off_t off) {
                                     return tell_tsan(v, n, ::preadv2(fd_, v, n, off, RWF_NOWAIT), true);
                                 }),
                        read_nowait_refused_);
}

int HostFile::pwritev_nowait(uint64_t offset, const IoVector& iov) const
{
    if (read_only_) return -EROFS;
    if (write_nowait_refused_.load(std::memory_order_relaxed)) return -EOPNOTSUPP;
    return note_refusal(transfer(iov, offset, false, true,
                                 [this](const iovec* v, int n, off_t off) {
                                     return tell_tsan(v, n, ::pwritev2(fd_, v, n, off, RWF_NOWAIT), false);
                                 }),
                        write_nowait_refused_);
}

int HostFile::pread(uint64_t offset, void* buf, uint64_t len) const
{
    return preadv(offset, IoVector{std::span<uint8_t>(static_cast<uint8_t*>(buf), len)});
}

int HostFile::pwrite(uint64_t offset, const void* buf, uint64_t len) const
{
    // pwritev only reads the buffers; IoVector's spans are mutable by type only.
    return pwritev(offset, IoVector{std::span<uint8_t>(static_cast<uint8_t*>(const_cast<void*>(buf)), len)});
}

int HostFile::datasync() const
{
    if (::fdatasync(fd_) != 0) return -errno;
    return 0;
}

}  // namespace locklab
