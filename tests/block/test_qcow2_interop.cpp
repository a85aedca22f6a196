// qcow2 images made and checked by real qemu-img / qemu-io (Debian qemu-utils).
#include <catch2/catch.hpp>

#include <cerrno>
#include <random>

#include "block/block_driver.h"
#include "block/qcow2_format.h"
#include "block_test_util.h"

using namespace locklab;
using namespace locklab::test;

namespace {
constexpr uint64_t kDisk = 4 << 20;
constexpr uint64_t k64K = 64 << 10;
}  // namespace

TEST_CASE("qcow2: data, zero and unallocated clusters written by qemu-io read back as qemu reads them", "[block][qcow2]")
{
    REQUIRE_QEMU_IMG();
    const std::string compat = GENERATE(as<std::string>{}, "1.1", "0.10");
    TempDir dir;
    const std::string img = dir.file("disk.qcow2");
    REQUIRE(run("qemu-img create -f qcow2 -o compat=" + compat + " " + img + " 4M") == 0);
    REQUIRE(run("qemu-io -c 'write -P 0xab 0 64k' -c 'write -P 0xcd 100k 10k' -c 'write -P 0x11 3M 1M' "
                "-c 'write -z 3M 64k' " + img) == 0);

    auto drv = open_block_driver(img, {"", true});
    REQUIRE(std::string(drv->format_name()) == "qcow2");
    REQUIRE(drv->length() == kDisk);
    const auto ours = read_all(*drv);
    const auto expect = qemu_contents(dir, img);
    REQUIRE(expect.size() == kDisk);
    CHECK(ours[0] == 0xab);
    CHECK(ours[100 * 1024] == 0xcd);
    CHECK(ours[3 << 20] == 0);
    CHECK(ours[(3 << 20) + k64K] == 0x11);
    CHECK(ours == expect);
}

TEST_CASE("qcow2: writes through locklab leave an image qemu-img check finds clean, with exactly the written contents",
          "[block][qcow2]")
{
    REQUIRE_QEMU_IMG();
    const std::string opts = GENERATE(as<std::string>{}, "compat=1.1", "compat=0.10", "cluster_size=4096",
                                      "cluster_size=512,refcount_bits=1", "cluster_size=512,refcount_bits=64");
    TempDir dir;
    const std::string img = dir.file("disk.qcow2");
    REQUIRE(run("qemu-img create -f qcow2 -o " + opts + " " + img + " 4M") == 0);
    std::vector<uint8_t> model(kDisk, 0);
    {
        auto drv = open_block_driver(img, {"qcow2", false});
        REQUIRE(write_both(*drv, model, 512, pattern(512, 1024, 1)) == 0);             // inside a cluster
        REQUIRE(write_both(*drv, model, 60000, pattern(60000, 200000, 2)) == 0);      // across clusters
        REQUIRE(write_both(*drv, model, 700, pattern(700, 100, 3)) == 0);             // rewrite in place
        REQUIRE(write_both(*drv, model, 50000, pattern(50000, 250000, 6)) == 0);      // over allocated runs
        REQUIRE(write_both(*drv, model, kDisk - 3000, pattern(kDisk - 3000, 3000, 4)) == 0);  // at the end
        std::mt19937 rng(7);
        for (int i = 0; i < 200; ++i) {  // scattered: many L2 entries and (small clusters) refcount blocks
            const uint64_t off = rng() % (kDisk - 4096);
            REQUIRE(write_both(*drv, model, off, pattern(off, 1 + rng() % 4096, 5 + i)) == 0);
        }
        REQUIRE(drv->flush() == 0);
        CHECK(read_all(*drv) == model);
    }
    CHECK(qemu_check(img) == 0);
    CHECK(qemu_contents(dir, img) == model);
    auto again = open_block_driver(img, {"", true});  // and a fresh open sees the same
    CHECK(read_all(*again) == model);
}

TEST_CASE("qcow2: a relative backing file is found next to the image, and writes copy the rest of the cluster from it",
          "[block][qcow2]")
{
    REQUIRE_QEMU_IMG();
    TempDir dir;
    REQUIRE(run("cd " + dir.path().string() + " && qemu-img create -f qcow2 base.qcow2 4M && "
                "qemu-io -c 'write -P 0x5a 0 4M' base.qcow2 && "
                "qemu-img create -f qcow2 -b base.qcow2 -F qcow2 top.qcow2") == 0);
    const auto base_before = qemu_contents(dir, dir.file("base.qcow2"));
    std::vector<uint8_t> model(kDisk, 0x5a);
    {
        auto drv = open_block_driver(dir.file("top.qcow2"), {});
        CHECK(read_all(*drv) == model);
        REQUIRE(write_both(*drv, model, 1000, pattern(1000, 500, 9)) == 0);
        REQUIRE(write_both(*drv, model, 2 * k64K - 10, pattern(2 * k64K - 10, 20, 10)) == 0);
        REQUIRE(drv->write_zeroes(3 * k64K, k64K, false) == 0);  // a zero cluster over backing data
        std::fill(model.begin() + 3 * k64K, model.begin() + 4 * k64K, 0);
        CHECK(read_all(*drv) == model);
    }
    CHECK(qemu_check(dir.file("top.qcow2")) == 0);
    CHECK(qemu_contents(dir, dir.file("top.qcow2")) == model);
    CHECK(qemu_contents(dir, dir.file("base.qcow2")) == base_before);  // opened read-only, untouched
}

TEST_CASE("qcow2: a three-deep chain with relative names in other folders reads like qemu reads it", "[block][qcow2]")
{
    REQUIRE_QEMU_IMG();
    TempDir dir;
    const std::string d = dir.path().string();
    // raw base (2 MiB) <- mid/mid.qcow2 (3 MiB) <- top.qcow2 (4 MiB); names relative to each image.
    REQUIRE(run("mkdir -p " + d + "/lower/mid && cd " + d + " && qemu-img create -f raw lower/base.raw 2M && "
                "qemu-io -f raw -c 'write -P 0x01 0 2M' lower/base.raw && "
                "qemu-img create -f qcow2 -b ../base.raw -F raw lower/mid/mid.qcow2 3M && "
                "qemu-io -c 'write -P 0x02 1M 1536k' lower/mid/mid.qcow2 && "
                "qemu-img create -f qcow2 -b lower/mid/mid.qcow2 -F qcow2 top.qcow2 4M && "
                "qemu-io -c 'write -P 0x03 1536k 100k' top.qcow2") == 0);
    auto drv = open_block_driver(dir.file("top.qcow2"), {});
    const auto ours = read_all(*drv);
    CHECK(ours[0] == 0x01);
    CHECK(ours[(1 << 20) + 1] == 0x02);
    CHECK(ours[1536 * 1024] == 0x03);
    CHECK(ours[(3 << 20) + 5] == 0);  // beyond every backing file
    CHECK(ours == qemu_contents(dir, dir.file("top.qcow2")));
}

TEST_CASE("qcow2: compressed clusters from qemu-img convert -c read back, and overwriting one frees it", "[block][qcow2]")
{
    REQUIRE_QEMU_IMG();
    TempDir dir;
    std::vector<uint8_t> model(kDisk);
    for (uint64_t i = 0; i < kDisk; ++i) model[i] = static_cast<uint8_t>((i / 4096) * 7 + (i % 13 == 0));
    write_file(dir.file("src.raw"), model);
    const std::string img = dir.file("comp.qcow2");
    REQUIRE(run("qemu-img convert -c -O qcow2 " + dir.file("src.raw") + " " + img) == 0);
    {
        auto drv = open_block_driver(img, {"qcow2", false});
        CHECK(read_all(*drv) == model);
        REQUIRE(write_both(*drv, model, k64K + 100, pattern(k64K + 100, 300, 3)) == 0);
        REQUIRE(write_both(*drv, model, 5 * k64K, pattern(5 * k64K, k64K, 4)) == 0);
        REQUIRE(drv->write_zeroes(8 * k64K, k64K, false) == 0);
        std::fill(model.begin() + 8 * k64K, model.begin() + 9 * k64K, 0);
        CHECK(read_all(*drv) == model);
    }
    CHECK(qemu_check(img) == 0);  // no leak: the replaced compressed data lost its references
    CHECK(qemu_contents(dir, img) == model);
}

TEST_CASE("qcow2: write_zeroes keeps an allocated cluster as a preallocated zero cluster that later writes reuse",
          "[block][qcow2]")
{
    REQUIRE_QEMU_IMG();
    TempDir dir;
    const std::string img = dir.file("disk.qcow2");
    REQUIRE(run("qemu-img create -f qcow2 " + img + " 4M") == 0);
    std::vector<uint8_t> model(kDisk, 0);
    {
        auto drv = open_block_driver(img, {"qcow2", false});
        REQUIRE(write_both(*drv, model, 0, pattern(0, 3 * k64K, 1)) == 0);
        REQUIRE(drv->write_zeroes(100, 2 * k64K, true) == 0);  // partial, whole, partial
        std::fill(model.begin() + 100, model.begin() + 100 + 2 * k64K, 0);
        CHECK(read_all(*drv) == model);
        REQUIRE(write_both(*drv, model, k64K + 10, pattern(k64K + 10, 10, 2)) == 0);
        REQUIRE(drv->discard(2 * k64K, k64K) == 0);
        std::fill(model.begin() + 2 * k64K, model.begin() + 3 * k64K, 0);
        CHECK(read_all(*drv) == model);
    }
    CHECK(qemu_check(img) == 0);
    CHECK(qemu_contents(dir, img) == model);
}

TEST_CASE("qcow2: requests outside the disk and writes to a read-only image fail cleanly", "[block][qcow2]")
{
    REQUIRE_QEMU_IMG();
    TempDir dir;
    const std::string img = dir.file("disk.qcow2");
    REQUIRE(run("qemu-img create -f qcow2 " + img + " 1M") == 0);
    auto ro = open_block_driver(img, {"qcow2", true});
    std::vector<uint8_t> buf(4096, 1);
    CHECK(ro->write(0, one_span(buf)) == -EROFS);
    CHECK(ro->read((1 << 20) - 100, one_span(buf)) == -EINVAL);
    auto rw = open_block_driver(img, {"qcow2", false});
    CHECK(rw->write(UINT64_MAX - 10, one_span(buf)) == -EINVAL);
}

TEST_CASE("qcow2: writing never rewrites the header cluster: extensions and backing name stay byte for byte",
          "[block][qcow2]")
{
    REQUIRE_QEMU_IMG();
    TempDir dir;
    REQUIRE(run("cd " + dir.path().string() + " && qemu-img create -f raw base.raw 1M && "
                "qemu-img create -f qcow2 -b base.raw -F raw top.qcow2 1M") == 0);
    const std::string img = dir.file("top.qcow2");
    const auto before = read_file(img);
    {
        auto drv = open_block_driver(img, {"qcow2", false});
        auto data = pattern(0, 300000, 1);
        REQUIRE(drv->write(1000, IoVector{std::span<uint8_t>(data)}) == 0);
        REQUIRE(drv->flush() == 0);
    }
    const auto after = read_file(img);
    REQUIRE(after.size() > before.size());
    CHECK(std::equal(before.begin(), before.begin() + 65536, after.begin()));
    CHECK(qemu_check(img) == 0);
}

TEST_CASE("qcow2: filling an image with small clusters grows the refcount table, and qemu-img agrees with the result",
          "[block][qcow2]")
{
    REQUIRE_QEMU_IMG();
    // One refcount-table cluster covers 8 MiB of file at 512-byte clusters and 16-bit refcounts,
    // 2 MiB with 64-bit ones: 12 MiB of data needs one, then several growths.
    const std::string opts = GENERATE(as<std::string>{}, "cluster_size=512", "cluster_size=512,refcount_bits=64");
    constexpr uint64_t kBig = 16 << 20, kData = 12 << 20;
    TempDir dir;
    const std::string img = dir.file("small-clusters.qcow2");
    REQUIRE(run("qemu-img create -f qcow2 -o " + opts + " " + img + " 16M") == 0);
    std::vector<uint8_t> model(kBig, 0);
    {
        auto drv = open_block_driver(img, {"qcow2", false});
        for (uint64_t off = 0; off < kData; off += 1 << 20)
            REQUIRE(write_both(*drv, model, off + 7, pattern(off + 7, 1 << 20, static_cast<unsigned>(off >> 20))) == 0);
        CHECK(read_all(*drv) == model);
    }
    CHECK(qcow2::load_be32(&read_file(img)[56]) > 1);  // refcount_table_clusters: it did grow
    CHECK(qemu_check(img) == 0);
    CHECK(qemu_contents(dir, img) == model);
    auto again = open_block_driver(img, {"qcow2", false});  // the moved table is where the header says
    REQUIRE(write_both(*again, model, kBig - 4096, pattern(kBig - 4096, 4096, 77)) == 0);
    CHECK(read_all(*again) == model);
    again.reset();
    CHECK(qemu_check(img) == 0);
}
