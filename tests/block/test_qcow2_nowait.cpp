// Qcow2Driver::try_read_nowait: allocated, zero and unallocated clusters (through the backing
// file's own non-blocking read) give read()'s bytes; an L2 table not in the cache, a compressed
// cluster, or data not in the host's page cache is -EAGAIN, never a blocking read. (For evicted
// data the kernel may also answer with the bytes, if the readahead the miss started finished in
// time: see test_host_file_nowait.cpp.)
#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "block/qcow2.h"
#include "block_test_util.h"

using namespace locklab;
using namespace locklab::test;

namespace {

constexpr uint64_t kCluster = 65536, kDisk = 1 << 20;

// top.qcow2 (64 KiB clusters) over base.raw (pattern seed 5): cluster 0 written (0x11), 1 zero,
// 2 compressed (0x22), 3.. unallocated (read from base.raw).
struct Chain {
    Chain()
    {
        write_file(dir.file("base.raw"), pattern(0, kDisk, 5));
        ok = run("cd " + dir.path().string() + " && qemu-img create -f qcow2 -b base.raw -F raw top.qcow2 1M && "
                 "qemu-io -c 'write -P 0x11 0 64k' -c 'write -z 64k 64k' -c 'write -c -P 0x22 128k 64k' top.qcow2") == 0;
    }
    IoVector range(std::vector<uint8_t>& buf, uint64_t len)
    {
        buf.assign(len, 0xee);
        return one_span(buf);
    }
    TempDir dir;
    bool ok = false;
};

}  // namespace

TEST_CASE("qcow2 try_read_nowait: read()'s bytes where nothing would block, -EAGAIN where something would",
          "[block][qcow2][nowait]")
{
    REQUIRE_QEMU_IMG();
    Chain c;
    REQUIRE(c.ok);
    REQUIRE_NOWAIT_READS(c.dir.file("base.raw"));
    auto drv = open_block_driver(c.dir.file("top.qcow2"), {"qcow2", true});
    std::vector<uint8_t> fast, slow;

    // Just opened: the L2 table is not cached, and reading it would be I/O.
    CHECK(drv->try_read_nowait(0, c.range(fast, 4096)) == -EAGAIN);
    REQUIRE(drv->read(0, c.range(slow, kDisk)) == 0);  // caches the L2 table and the host pages

    SECTION("written, zero and unallocated clusters (the backing file's pages cached)")
    {
        const uint64_t from = 32768, len = kCluster * 2 - 32768;  // half of cluster 0, all of cluster 1
        CHECK(drv->try_read_nowait(from, c.range(fast, len)) == 0);
        CHECK(fast == std::vector<uint8_t>(slow.begin() + from, slow.begin() + from + len));
        CHECK(std::vector<uint8_t>(fast.begin(), fast.begin() + 32768) == std::vector<uint8_t>(32768, 0x11));
        CHECK(drv->try_read_nowait(3 * kCluster + 100, c.range(fast, 5 * kCluster)) == 0);
        CHECK(fast == pattern(3 * kCluster + 100, 5 * kCluster, 5));
    }
    SECTION("a compressed cluster is left to the workers")
    {
        CHECK(drv->try_read_nowait(2 * kCluster + 512, c.range(fast, 4096)) == -EAGAIN);
        CHECK(drv->try_read_nowait(0, c.range(fast, kDisk)) == -EAGAIN);
    }
    SECTION("data not in the page cache: the image's own cluster, or the backing file's")
    {
        auto evicted_read = [&](uint64_t pos) {
            const int ret = drv->try_read_nowait(pos, c.range(fast, 4096));
            return ret == -EAGAIN || (ret == 0 && std::equal(fast.begin(), fast.end(), slow.begin() + pos));
        };
        REQUIRE(evict_from_page_cache(c.dir.file("top.qcow2"), 0, 0));
        CHECK(evicted_read(0));
        CHECK(drv->try_read_nowait(kCluster, c.range(fast, 4096)) == 0);  // a zero cluster reads no file
        REQUIRE(evict_from_page_cache(c.dir.file("base.raw"), 0, 0));
        CHECK(evicted_read(5 * kCluster));
        REQUIRE(drv->read(0, c.range(fast, kDisk)) == 0);
        CHECK(fast == slow);
    }
}
