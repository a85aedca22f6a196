#include <catch2/catch.hpp>

#include <cerrno>

#include "block/block_driver.h"
#include "block_test_util.h"

using namespace locklab;
using namespace locklab::test;

TEST_CASE("raw: a write through a scatter-gather list lands byte for byte in the host file", "[block][raw]")
{
    TempDir dir;
    const std::string img = dir.file("disk.raw");
    write_file(img, std::vector<uint8_t>(64 * 1024, 0));
    auto drv = open_block_driver(img, {"raw", false});
    REQUIRE(std::string(drv->format_name()) == "raw");
    REQUIRE(drv->length() == 64 * 1024);

    std::vector<uint8_t> a = pattern(1000, 300, 1), b = pattern(1300, 5000, 1);
    REQUIRE(drv->write(1000, IoVector{std::span<uint8_t>(a), std::span<uint8_t>(b)}) == 0);
    REQUIRE(drv->flush() == 0);

    const auto host = read_file(img);
    const auto expect = pattern(1000, 5300, 1);
    REQUIRE(std::equal(expect.begin(), expect.end(), host.begin() + 1000));
    REQUIRE(host[999] == 0);
    REQUIRE(host[6300] == 0);

    std::vector<uint8_t> back(5300);
    REQUIRE(drv->read(1000, one_span(back)) == 0);
    REQUIRE(back == expect);
}

TEST_CASE("raw: requests outside the disk fail with EINVAL and leave the file alone", "[block][raw]")
{
    TempDir dir;
    const std::string img = dir.file("disk.raw");
    write_file(img, std::vector<uint8_t>(4096, 7));
    auto drv = open_block_driver(img, {"raw", false});
    std::vector<uint8_t> buf(512, 1);
    REQUIRE(drv->read(4096 - 511, one_span(buf)) == -EINVAL);
    REQUIRE(drv->write(4096, one_span(buf)) == -EINVAL);
    REQUIRE(drv->write(UINT64_MAX - 100, one_span(buf)) == -EINVAL);
    REQUIRE(drv->write_zeroes(4000, 200, false) == -EINVAL);
    REQUIRE(read_file(img) == std::vector<uint8_t>(4096, 7));
}

TEST_CASE("raw: a read-only image refuses writes with EROFS", "[block][raw]")
{
    TempDir dir;
    const std::string img = dir.file("disk.raw");
    write_file(img, std::vector<uint8_t>(4096, 7));
    auto drv = open_block_driver(img, {"raw", true});
    REQUIRE(drv->read_only());
    std::vector<uint8_t> buf(512, 1);
    REQUIRE(drv->write(0, one_span(buf)) == -EROFS);
    REQUIRE(drv->write_zeroes(0, 512, false) == -EROFS);
    REQUIRE(drv->read(0, one_span(buf)) == 0);
    REQUIRE(buf == std::vector<uint8_t>(512, 7));
}

TEST_CASE("raw: write_zeroes makes the range read as zeroes, with or without unmapping", "[block][raw]")
{
    TempDir dir;
    const std::string img = dir.file("disk.raw");
    write_file(img, std::vector<uint8_t>(3 * 65536, 0x5a));
    auto drv = open_block_driver(img, {"raw", false});
    REQUIRE(drv->write_zeroes(100, 1000, false) == 0);
    REQUIRE(drv->write_zeroes(65536, 65536, true) == 0);
    const auto host = read_file(img);
    REQUIRE(host.size() == 3 * 65536);
    for (size_t i = 0; i < host.size(); ++i) {
        const bool zero = (i >= 100 && i < 1100) || (i >= 65536 && i < 131072);
        if (host[i] != (zero ? 0 : 0x5a)) FAIL("byte " << i << " is " << int(host[i]));
    }
}

TEST_CASE("open: a missing file or an unknown format is a BlockError naming it", "[block][raw]")
{
    TempDir dir;
    REQUIRE_THROWS_WITH(open_block_driver(dir.file("nope.img"), {}), Catch::Contains("nope.img"));
    const std::string img = dir.file("disk.raw");
    write_file(img, std::vector<uint8_t>(512, 0));
    REQUIRE_THROWS_WITH(open_block_driver(img, {"vmdk", false}), Catch::Contains("vmdk"));
    REQUIRE_THROWS_AS(open_block_driver(dir.path().string(), {}), BlockError);  // a folder
}

TEST_CASE("open: without a format, a file that is not qcow2 is probed as raw", "[block][raw]")
{
    TempDir dir;
    const std::string img = dir.file("disk.img");
    write_file(img, std::vector<uint8_t>(1024, 3));
    auto drv = open_block_driver(img, {});
    REQUIRE(std::string(drv->format_name()) == "raw");
    REQUIRE(drv->length() == 1024);
}
