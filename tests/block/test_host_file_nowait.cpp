// HostFile's RWF_NOWAIT transfers and RawDriver's try_*_nowait on them, against the real page
// cache of the temp folder's file system (ext4 on this project's hosts): cached pages are read at
// once, an evicted range is -EAGAIN, a partly cached one is -EAGAIN after a short transfer (never
// reported as done), and buffered writes are done whole or refused.
//
// The kernel's answer for an evicted page is not fixed: a RWF_NOWAIT read that misses starts
// readahead without waiting for it, but if that I/O has already finished when it looks again (a
// fast virtual disk; seen in about 1 of 3 runs under TSan here), the read succeeds. Those checks
// therefore accept "done, with the right bytes" as well as -EAGAIN. A short transfer is pinned
// deterministically by the end-of-file case, and the backend's fallback by MemoryDisk
// (test_block_backend_nowait.cpp).
#include <catch2/catch.hpp>

#include <cerrno>
#include <vector>

#include "block/host_file.h"
#include "block/raw.h"
#include "block_test_util.h"

using namespace locklab;
using namespace locklab::test;

namespace {

constexpr uint64_t kSize = 256 << 10, kHalf = kSize / 2;

// A file of pattern bytes, written back and read once (so entirely in the page cache).
struct CachedFile {
    CachedFile() : path(dir.file("f.img")), data(pattern(0, kSize, 3))
    {
        write_file(path, data);
        HostFile f(path, true);
        std::vector<uint8_t> all(kSize);
        REQUIRE(f.datasync() == 0);
        REQUIRE(f.preadv(0, one_span(all)) == 0);
    }
    TempDir dir;
    const std::string path;
    const std::vector<uint8_t> data;
};

std::vector<uint8_t> slice(const std::vector<uint8_t>& v, uint64_t from, uint64_t n)
{
    return {v.begin() + static_cast<long>(from), v.begin() + static_cast<long>(from + n)};
}

}  // namespace

TEST_CASE("HostFile::preadv_nowait reads cached pages, and is -EAGAIN after a short transfer (a page not cached)",
          "[block][hostfile][nowait]")
{
    CachedFile c;
    HostFile f(c.path, false);
    REQUIRE_NOWAIT_READS(c.path);
    std::vector<uint8_t> buf(kSize, 0xee);
    REQUIRE(f.preadv_nowait(0, one_span(buf)) == 0);
    CHECK(buf == c.data);

    // Only the first half cached. (Each RWF_NOWAIT miss starts readahead, so one try per setup.)
    REQUIRE(evict_from_page_cache(c.path, 0, kSize));
    REQUIRE(cached_bytes(c.path, 0, kSize) == 0);
    REQUIRE(cache_only(c.path, 0, kHalf));
    REQUIRE(cached_bytes(c.path, 0, kHalf) == static_cast<int64_t>(kHalf));
    REQUIRE(cached_bytes(c.path, kHalf, kHalf) == 0);

    // The cached first half moves, the call is short, and that is -EAGAIN, not success (unless
    // the readahead it started finished in time: then all of it is there).
    std::fill(buf.begin(), buf.end(), 0xee);
    const int ret = f.preadv_nowait(0, one_span(buf));
    CHECK(slice(buf, 0, kHalf) == slice(c.data, 0, kHalf));
    if (ret == 0)
        CHECK(buf == c.data);
    else
        CHECK(ret == -EAGAIN);

    // The blocking read does the whole transfer (and caches it): then the fast path can.
    REQUIRE(f.preadv(0, one_span(buf)) == 0);
    CHECK(buf == c.data);
    std::fill(buf.begin(), buf.end(), 0xee);
    CHECK(f.preadv_nowait(0, one_span(buf)) == 0);
    CHECK(buf == c.data);
}

TEST_CASE("HostFile::preadv_nowait at the end of the file: past it zeroes, across it short (-EAGAIN)",
          "[block][hostfile][nowait]")
{
    CachedFile c;
    HostFile f(c.path, true);
    REQUIRE_NOWAIT_READS(c.path);
    std::vector<uint8_t> past(4096, 0xee), across(4096, 0xee);
    CHECK(f.preadv_nowait(kSize + 8192, one_span(past)) == 0);
    CHECK(past == std::vector<uint8_t>(4096, 0));
    CHECK(f.preadv_nowait(kSize - 2048, one_span(across)) == -EAGAIN);
    CHECK(f.preadv(kSize - 2048, one_span(across)) == 0);  // what the fallback gives
    CHECK(slice(across, 0, 2048) == slice(c.data, kSize - 2048, 2048));
    CHECK(slice(across, 2048, 2048) == std::vector<uint8_t>(2048, 0));
}

TEST_CASE("HostFile::pwritev_nowait writes everything or is refused; reads stay unaffected",
          "[block][hostfile][nowait]")
{
    CachedFile c;
    HostFile f(c.path, false);
    std::vector<uint8_t> w = pattern(8192, 8192, 77);
    const int first = f.pwritev_nowait(8192, one_span(w));
    std::vector<uint8_t> back(8192);
    REQUIRE(f.preadv(8192, one_span(back)) == 0);
    if (first == 0) {
        WARN("RWF_NOWAIT buffered writes work on the temp folder's file system");
        CHECK(back == w);
    } else {
        // ext4 and tmpfs refuse buffered NOWAIT writes; a file system that takes them may still say
        // "would block". Either way nothing is promised about the bytes, and a second try says the same.
        WARN("RWF_NOWAIT buffered write: " << first);
        CHECK((first == -EOPNOTSUPP || first == -EAGAIN));
        if (first == -EOPNOTSUPP) CHECK(f.pwritev_nowait(8192, one_span(w)) == -EOPNOTSUPP);
        REQUIRE(f.pwritev(8192, one_span(w)) == 0);
    }
    if (nowait_reads_work(c.path)) {  // a refused write direction does not turn reads off
        CHECK(f.preadv_nowait(8192, one_span(back)) == 0);
        CHECK(back == w);
    }
    HostFile ro(c.path, true);
    CHECK(ro.pwritev_nowait(0, one_span(w)) == -EROFS);
}

TEST_CASE("RawDriver::try_read_nowait gives read()'s bytes or nothing; range and read-only errors as read/write",
          "[block][raw][nowait]")
{
    CachedFile c;
    RawDriver drv(std::make_unique<HostFile>(c.path, false));
    REQUIRE_NOWAIT_READS(c.path);
    std::vector<uint8_t> a(12288, 0xee), b(12288, 0);
    REQUIRE(drv.try_read_nowait(4096, one_span(a)) == 0);
    REQUIRE(drv.read(4096, one_span(b)) == 0);
    CHECK(a == b);
    REQUIRE(evict_from_page_cache(c.path, 0, kSize));
    std::fill(a.begin(), a.end(), 0xee);
    const int ret = drv.try_read_nowait(4096, one_span(a));
    CHECK((ret == -EAGAIN || (ret == 0 && a == b)));
    CHECK(drv.try_read_nowait(kSize - 512, one_span(a)) == -EINVAL);
    CHECK(drv.try_write_nowait(kSize - 512, one_span(a)) == -EINVAL);

    RawDriver ro(std::make_unique<HostFile>(c.path, true));
    CHECK(ro.try_write_nowait(0, one_span(a)) == -EROFS);
}
