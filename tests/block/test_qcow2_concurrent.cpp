// Many requests in parallel on one qcow2 image through a BlockBackend (its worker threads call the
// driver concurrently): allocations serialise on the metadata lock and nothing is lost.
#include <catch2/catch.hpp>

#include <atomic>
#include <numeric>
#include <random>

#include "block/block_backend.h"
#include "block_test_util.h"
#include "loop/iothread.h"
#include "tests/loop/test_util.h"

using namespace locklab;
using namespace locklab::test;

TEST_CASE("qcow2: concurrent writes and reads through a BlockBackend in an IOThread keep the image clean",
          "[block][qcow2][backend]")
{
    REQUIRE_QEMU_IMG();
    constexpr uint64_t kDisk = 4 << 20, kSlot = 5000, kSlots = kDisk / kSlot;
    TempDir dir;
    REQUIRE(run("cd " + dir.path().string() + " && qemu-img create -f qcow2 -o cluster_size=4096 base.qcow2 4M && "
                "qemu-io -c 'write -P 0x42 0 4M' base.qcow2 && "
                "qemu-img create -f qcow2 -o cluster_size=4096 -b base.qcow2 -F qcow2 top.qcow2") == 0);
    std::vector<uint8_t> model(kDisk, 0x42);
    std::vector<std::vector<uint8_t>> bufs(kSlots);
    std::vector<uint64_t> order(kSlots);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), std::mt19937(3));
    {
        IOThread io("qcow2-io");
        BlockBackend blk("d0", open_block_driver(dir.file("top.qcow2"), {"qcow2", false}), io.context());
        std::atomic<unsigned> ok{0}, done{0};
        run_in_context(io.context(), [&] {
            for (uint64_t s : order) {
                bufs[s] = pattern(s * kSlot, kSlot, static_cast<unsigned>(s));
                std::copy(bufs[s].begin(), bufs[s].end(), model.begin() + static_cast<long>(s * kSlot));
                blk.write(s * kSlot, IoVector{std::span<uint8_t>(bufs[s])}, [&](int ret) {
                    ok += ret == 0;
                    ++done;
                });
            }
        });
        REQUIRE(eventually([&] { return done.load() == kSlots; }, std::chrono::seconds(60)));
        CHECK(ok.load() == kSlots);

        std::vector<uint8_t> back(kDisk);
        std::atomic<int> read_ret{1}, flush_ret{1};
        run_in_context(io.context(), [&] {
            blk.flush([&](int ret) { flush_ret = ret; });
            blk.read(0, IoVector{std::span<uint8_t>(back)}, [&](int ret) { read_ret = ret; });
        });
        REQUIRE(eventually([&] { return read_ret.load() != 1 && flush_ret.load() != 1; }, std::chrono::seconds(60)));
        CHECK(read_ret.load() == 0);
        CHECK(flush_ret.load() == 0);
        CHECK(back == model);
    }
    CHECK(qemu_check(dir.file("top.qcow2")) == 0);
    CHECK(qemu_contents(dir, dir.file("top.qcow2")) == model);
}
