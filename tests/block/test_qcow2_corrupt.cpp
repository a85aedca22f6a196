// Corrupt and unsupported qcow2 images: each is refused at open with a BlockError that says what
// is wrong (field, offset, feature), or, for damage found only when a cluster is used, the request
// fails with EIO. Never a crash.
#include <catch2/catch.hpp>

#include <cerrno>

#include "block/block_driver.h"
#include "block/qcow2_format.h"
#include "block_test_util.h"

using namespace locklab;
using namespace locklab::test;

namespace {

// A fresh qemu-img image (v3, 64 KiB clusters, 1 MiB, one data cluster at 0) in `dir`.
std::string make_image(const TempDir& dir, const std::string& opts = "")
{
    const std::string img = dir.file("disk.qcow2");
    if (run("qemu-img create -f qcow2 " + opts + " " + img + " 1M && qemu-io -c 'write -P 0x77 0 4k' " + img) != 0)
        FAIL("qemu-img create failed");
    return img;
}

void patch32(const std::string& img, uint64_t at, uint32_t v)
{
    auto bytes = read_file(img);
    qcow2::store_be32(&bytes[at], v);
    write_file(img, bytes);
}

void patch64(const std::string& img, uint64_t at, uint64_t v)
{
    auto bytes = read_file(img);
    qcow2::store_be64(&bytes[at], v);
    write_file(img, bytes);
}

}  // namespace

TEST_CASE("qcow2 corrupt: a truncated header is refused", "[block][qcow2][corrupt]")
{
    REQUIRE_QEMU_IMG();
    TempDir dir;
    const std::string img = make_image(dir);
    auto bytes = read_file(img);
    bytes.resize(GENERATE(40, 90));
    write_file(img, bytes);
    REQUIRE_THROWS_WITH(open_block_driver(img, {}), Catch::Contains("truncated"));
}

TEST_CASE("qcow2 corrupt: header fields out of range name the field and its offset", "[block][qcow2][corrupt]")
{
    REQUIRE_QEMU_IMG();
    TempDir dir;
    const std::string img = make_image(dir);
    SECTION("L1 table beyond the end of the file")
    {
        patch64(img, 40, 1ull << 40);
        REQUIRE_THROWS_WITH(open_block_driver(img, {}), Catch::Contains("l1_table_offset") && Catch::Contains("beyond the end"));
    }
    SECTION("L1 table not cluster-aligned")
    {
        patch64(img, 40, 65536 + 8);
        REQUIRE_THROWS_WITH(open_block_driver(img, {}), Catch::Contains("l1_table_offset"));
    }
    SECTION("refcount order above 6")
    {
        patch32(img, 96, 7);
        REQUIRE_THROWS_WITH(open_block_driver(img, {}), Catch::Contains("refcount_order") && Catch::Contains("96"));
    }
    SECTION("cluster bits outside 9..21")
    {
        patch32(img, 20, GENERATE(8u, 22u, 0xffffffffu));
        REQUIRE_THROWS_WITH(open_block_driver(img, {}), Catch::Contains("cluster_bits"));
    }
    SECTION("an L1 table too small for the virtual size")
    {
        patch64(img, 24, 1ull << 40);
        REQUIRE_THROWS_WITH(open_block_driver(img, {}), Catch::Contains("l1_size"));
    }
    SECTION("version 4")
    {
        patch32(img, 4, 4);
        REQUIRE_THROWS_WITH(open_block_driver(img, {}), Catch::Contains("version"));
    }
    SECTION("a header length that is not a multiple of 8")
    {
        patch32(img, 100, 105);
        REQUIRE_THROWS_WITH(open_block_driver(img, {}), Catch::Contains("header_length"));
    }
    SECTION("a refcount table entry beyond the end of the file")
    {
        patch64(img, 0x10000, 1ull << 40);  // qemu-img puts the refcount table in cluster 1
        REQUIRE_THROWS_WITH(open_block_driver(img, {}), Catch::Contains("refcount table entry 0"));
    }
    SECTION("an L1 entry with reserved bits")
    {
        patch64(img, 0x30000, (1ull << 63) | 0x40000 | 1);  // qemu-img puts the L1 table in cluster 3
        REQUIRE_THROWS_WITH(open_block_driver(img, {}), Catch::Contains("L1 entry 0") && Catch::Contains("reserved"));
    }
    SECTION("a backing file name outside the first cluster")
    {
        patch64(img, 8, 70000);
        patch32(img, 16, 4);
        REQUIRE_THROWS_WITH(open_block_driver(img, {}), Catch::Contains("backing_file_offset"));
    }
    SECTION("a header extension running past the first cluster")
    {
        patch32(img, 112 + 4, 0x7fffffff);  // the length of the first extension
        REQUIRE_THROWS_WITH(open_block_driver(img, {}), Catch::Contains("header extension"));
    }
}

TEST_CASE("qcow2 corrupt: unsupported features are refused by name", "[block][qcow2][corrupt]")
{
    REQUIRE_QEMU_IMG();
    TempDir dir;
    SECTION("encryption")
    {
        const std::string img = make_image(dir);
        patch32(img, 32, GENERATE(1u, 2u));
        REQUIRE_THROWS_WITH(open_block_driver(img, {}), Catch::Contains("encryption"));
    }
    SECTION("extended L2 entries")
    {
        const std::string img = make_image(dir, "-o extended_l2=on");
        REQUIRE_THROWS_WITH(open_block_driver(img, {}), Catch::Contains("extended L2"));
    }
    SECTION("zstd compression")
    {
        const std::string img = dir.file("z.qcow2");
        if (run("qemu-img create -f qcow2 -o compression_type=zstd " + img + " 1M") != 0) {
            WARN("this qemu-img has no zstd");
            return;
        }
        REQUIRE_THROWS_WITH(open_block_driver(img, {}), Catch::Contains("zstd"));
    }
    SECTION("the corrupt, dirty and external-data bits, and an unknown one named from the feature table")
    {
        const std::string img = make_image(dir);
        const auto [bit, words] = GENERATE(std::make_pair(1u, "corrupt"), std::make_pair(0u, "dirty"),
                                           std::make_pair(2u, "external data"), std::make_pair(9u, "bit 9"));
        patch64(img, 72, 1ull << bit);
        REQUIRE_THROWS_WITH(open_block_driver(img, {}), Catch::Contains(words));
    }
    SECTION("writing to an image with internal snapshots")
    {
        const std::string img = make_image(dir);
        REQUIRE(run("qemu-img snapshot -c snap1 " + img) == 0);
        REQUIRE_THROWS_WITH(open_block_driver(img, {"qcow2", false}), Catch::Contains("snapshots"));
        auto ro = open_block_driver(img, {"qcow2", true});
        std::vector<uint8_t> buf(4096);
        REQUIRE(ro->read(0, one_span(buf)) == 0);
        CHECK(buf == std::vector<uint8_t>(4096, 0x77));
    }
}

TEST_CASE("qcow2 corrupt: a backing file loop is refused and named", "[block][qcow2][corrupt]")
{
    REQUIRE_QEMU_IMG();
    TempDir dir;
    const std::string d = dir.path().string();
    REQUIRE(run("cd " + d + " && qemu-img create -f qcow2 -u -b b.qcow2 -F qcow2 a.qcow2 1M && "
                "qemu-img create -f qcow2 -u -b a.qcow2 -F qcow2 b.qcow2 1M && "
                "qemu-img create -f qcow2 -u -b x.qcow2 -F qcow2 self.qcow2 1M && "
                "qemu-img rebase -u -b self.qcow2 -F qcow2 self.qcow2") == 0);
    REQUIRE_THROWS_WITH(open_block_driver(dir.file("a.qcow2"), {}), Catch::Contains("loop") && Catch::Contains("b.qcow2"));
    REQUIRE_THROWS_WITH(open_block_driver(dir.file("self.qcow2"), {}), Catch::Contains("loop"));
    REQUIRE(run("cd " + d + " && qemu-img create -f qcow2 -u -b missing.qcow2 -F qcow2 orphan.qcow2 1M") == 0);
    REQUIRE_THROWS_WITH(open_block_driver(dir.file("orphan.qcow2"), {}), Catch::Contains("missing.qcow2"));
}

TEST_CASE("qcow2 corrupt: damaged L2 entries fail the request with EIO, not the process", "[block][qcow2][corrupt]")
{
    REQUIRE_QEMU_IMG();
    TempDir dir;
    const std::string img = make_image(dir);
    const uint64_t l2 = qcow2::load_be64(&read_file(img)[0x30000]) & qcow2::kOffsetMask;
    REQUIRE(l2 != 0);
    std::vector<uint8_t> buf(512);
    SECTION("reserved bits")
    {
        patch64(img, l2, (1ull << 63) | 0x50000 | 0x10);
    }
    SECTION("a misaligned data offset")
    {
        patch64(img, l2, (1ull << 63) | 0x50200);
    }
    SECTION("a compressed entry whose data does not inflate")
    {
        patch64(img, l2, (1ull << 62) | 0x10);  // points into the header
    }
    auto drv = open_block_driver(img, {"qcow2", false});
    CHECK(drv->read(0, one_span(buf)) == -EIO);
    CHECK(drv->write(0, one_span(buf)) == -EIO);
    CHECK(drv->read(65536, one_span(buf)) == 0);  // the rest of the disk still works
}
