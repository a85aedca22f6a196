// Helpers shared by the block tests: a temporary folder, file contents, and running qemu-img.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "block/block_driver.h"
#include "block/host_file.h"

namespace locklab::test {

// A fresh folder under the system temp dir, removed with its contents on destruction.
class TempDir {
public:
    TempDir()
    {
        std::string tmpl = (std::filesystem::temp_directory_path() / "locklab-block-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir()
    {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::string file(const std::string& name) const { return (path_ / name).string(); }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

inline void write_file(const std::string& path, const std::vector<uint8_t>& bytes)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline std::vector<uint8_t> read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs a shell command; returns its exit status (or -1 if it did not exit normally).
inline int run(const std::string& cmd)
{
    const int st = std::system(("(" + cmd + ") >/dev/null 2>&1").c_str());
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

inline bool have_qemu_img() { return run("qemu-img --version") == 0 && run("qemu-io --version") == 0; }

// Skips the rest of a test case when qemu-utils is absent (Catch2 v2 has no SKIP).
#define REQUIRE_QEMU_IMG()                                              \
    do {                                                                \
        if (!::locklab::test::have_qemu_img()) {                        \
            WARN("qemu-img/qemu-io not installed: test skipped");      \
            return;                                                     \
        }                                                               \
    } while (0)

// Pattern bytes: byte i of the disk written with `seed` is (i * 131 + seed) mod 251 (never
// all-zero over a sector, and different per seed).
inline std::vector<uint8_t> pattern(uint64_t disk_offset, size_t len, unsigned seed)
{
    std::vector<uint8_t> v(len);
    for (size_t i = 0; i < len; ++i) v[i] = static_cast<uint8_t>(((disk_offset + i) * 131 + seed) % 251);
    return v;
}

// `qemu-img convert -O raw` of an image: what qemu sees in it.
inline std::vector<uint8_t> qemu_contents(const TempDir& dir, const std::string& img)
{
    const std::string out = dir.file("qemu-view.raw");
    if (run("qemu-img convert -O raw " + img + " " + out) != 0) return {};
    auto bytes = read_file(out);
    std::filesystem::remove(out);
    return bytes;
}

// `qemu-img check` exit status: 0 clean, 2 corrupt, 3 leaks only.
inline int qemu_check(const std::string& img) { return run("qemu-img check " + img); }

// Everything the driver reads, from offset 0 to its length.
inline std::vector<uint8_t> read_all(BlockDriver& drv)
{
    std::vector<uint8_t> bytes(drv.length());
    if (drv.read(0, IoVector{std::span<uint8_t>(bytes)}) != 0) bytes.clear();
    return bytes;
}

// Writes `data` at `offset` through the driver and into `model` (the expected disk contents).
inline int write_both(BlockDriver& drv, std::vector<uint8_t>& model, uint64_t offset, std::vector<uint8_t> data)
{
    std::copy(data.begin(), data.end(), model.begin() + static_cast<long>(offset));
    return drv.write(offset, IoVector{std::span<uint8_t>(data)});
}

inline IoVector one_span(std::vector<uint8_t>& buf) { return {std::span<uint8_t>(buf)}; }

// Drops [offset, offset + len) of a host file from the page cache (written back first), so that a
// RWF_NOWAIT read of it would block. False if the host refused.
inline bool evict_from_page_cache(const std::string& path, uint64_t offset, uint64_t len)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = ::fdatasync(fd) == 0 &&
                    ::posix_fadvise(fd, static_cast<off_t>(offset), static_cast<off_t>(len), POSIX_FADV_DONTNEED) == 0;
    ::close(fd);
    return ok;
}

// Reads [offset, offset + len) of a host file into the page cache and nothing around it
// (POSIX_FADV_RANDOM: no readahead). False on error.
inline bool cache_only(const std::string& path, uint64_t offset, uint64_t len)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    std::vector<uint8_t> buf(len);
    const bool ok = ::posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM) == 0 &&
                    ::pread(fd, buf.data(), len, static_cast<off_t>(offset)) == static_cast<ssize_t>(len);
    ::close(fd);
    return ok;
}

// Can the file system holding `path` do RWF_NOWAIT reads at all (tmpfs cannot: -EOPNOTSUPP)?
inline bool nowait_reads_work(const std::string& path)
{
    std::vector<uint8_t> probe(512);
    return HostFile(path, true).preadv_nowait(0, IoVector{std::span<uint8_t>(probe)}) != -EOPNOTSUPP;
}

// Skips the rest of a test case where the temp folder's file system has no RWF_NOWAIT reads.
#define REQUIRE_NOWAIT_READS(path)                                                               \
    do {                                                                                         \
        if (!::locklab::test::nowait_reads_work(path)) {                                         \
            WARN("no RWF_NOWAIT reads on the file system of " << (path) << ": test skipped");   \
            return;                                                                              \
        }                                                                                        \
    } while (0)

// How many bytes of [offset, offset + len) (page-aligned) of a host file are in the page cache
// (mincore on a mapping, which itself reads nothing in); -1 on error.
inline int64_t cached_bytes(const std::string& path, uint64_t offset, uint64_t len)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    void* p = ::mmap(nullptr, len, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(offset));
    ::close(fd);
    if (p == MAP_FAILED) return -1;
    const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    std::vector<unsigned char> in((len + page - 1) / page);
    int64_t n = -1;
    if (::mincore(p, len, in.data()) == 0) {
        n = 0;
        for (unsigned char c : in) n += (c & 1) ? static_cast<int64_t>(page) : 0;
    }
    ::munmap(p, len);
    return n;
}

}  // namespace locklab::test
