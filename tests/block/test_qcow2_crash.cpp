// Crash consistency: a process writing a qcow2 image is SIGKILLed at random points; afterwards
// `qemu-img check` finds no corruption (leaks allowed), every write completed before a flush that
// returned is present, and the rest is either fully old or new per byte (never other bytes).
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <numeric>
#include <random>
#include <thread>

#include "block/block_driver.h"
#include "block/qcow2_format.h"
#include "block_test_util.h"

using namespace locklab;
using namespace locklab::test;

namespace {

constexpr uint64_t kDisk = 8 << 20;
constexpr uint64_t kSlot = 3000;  // not a divisor of the cluster size: writes straddle clusters
constexpr uint64_t kSlots = kDisk / kSlot;

// Write number i goes to slot order[i]: writes never overlap, so each one's bytes can be checked.
std::vector<uint64_t> slot_order(unsigned seed)
{
    std::vector<uint64_t> order(kSlots);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), std::mt19937(seed));
    return order;
}

// The writer (child process): writes slots in order, flushing every 8 writes and publishing the
// number of writes a returned flush covers. Never returns.
[[noreturn]] void write_storm(const std::string& img, const std::vector<uint64_t>& order, std::atomic<int64_t>* flushed)
{
    try {
        auto drv = open_block_driver(img, {"qcow2", false});
        for (uint64_t i = 0; i < order.size(); ++i) {
            auto data = pattern(order[i] * kSlot, kSlot, static_cast<unsigned>(i));
            if (drv->write(order[i] * kSlot, IoVector{std::span<uint8_t>(data)}) != 0) _exit(2);
            if (i % 8 == 7) {
                if (drv->flush() != 0) _exit(3);
                flushed->store(static_cast<int64_t>(i + 1));
            }
        }
    } catch (...) {
        _exit(4);
    }
    _exit(0);
}

}  // namespace

TEST_CASE("qcow2: SIGKILL during a write storm leaves a consistent image holding every flushed write", "[block][qcow2][crash]")
{
    REQUIRE_QEMU_IMG();
    const std::string opts = GENERATE(as<std::string>{}, "cluster_size=4096", "cluster_size=512,compat=0.10",
                                      "cluster_size=512,refcount_bits=64");  // the refcount table grows
    auto* flushed = static_cast<std::atomic<int64_t>*>(
        mmap(nullptr, sizeof(std::atomic<int64_t>), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    REQUIRE(flushed != MAP_FAILED);
    std::mt19937 rng(42);
    for (unsigned round = 0; round < 6; ++round) {
        TempDir dir;
        const std::string img = dir.file("storm.qcow2");
        REQUIRE(run("qemu-img create -f qcow2 -o " + opts + " " + img + " 8M") == 0);
        const auto order = slot_order(round);
        new (flushed) std::atomic<int64_t>(0);

        const pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) write_storm(img, order, flushed);
        std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 1500));
        kill(pid, SIGKILL);
        int status = 0;
        REQUIRE(waitpid(pid, &status, 0) == pid);
        INFO("round " << round << ", " << opts << ", flushed writes: " << flushed->load() << ", refcount table clusters: "
                      << qcow2::load_be32(&read_file(img)[56]));
        if (WIFEXITED(status)) REQUIRE(WEXITSTATUS(status) == 0);  // it finished before the kill

        const int check = qemu_check(img);
        CHECK((check == 0 || check == 3));  // consistent, maybe with leaked clusters

        auto drv = open_block_driver(img, {"qcow2", false});
        const auto disk = read_all(*drv);
        REQUIRE(disk.size() == kDisk);
        const auto flushed_writes = static_cast<uint64_t>(flushed->load());
        for (uint64_t i = 0; i < order.size(); ++i) {
            const auto want = pattern(order[i] * kSlot, kSlot, static_cast<unsigned>(i));
            const auto got = disk.begin() + static_cast<long>(order[i] * kSlot);
            if (i < flushed_writes) {
                if (!std::equal(want.begin(), want.end(), got)) FAIL("flushed write " << i << " is missing");
            } else {
                for (uint64_t b = 0; b < kSlot; ++b)
                    if (got[static_cast<long>(b)] != 0 && got[static_cast<long>(b)] != want[b])
                        FAIL("write " << i << " byte " << b << " is neither old nor new");
            }
        }
        // The survivor stays usable: more writes on top of whatever leaked are still consistent.
        auto extra = pattern(0, 70000, 99);
        REQUIRE(drv->write(kDisk - 70000, IoVector{std::span<uint8_t>(extra)}) == 0);
        drv.reset();
        const int check2 = qemu_check(img);
        CHECK((check2 == 0 || check2 == 3));
    }
    munmap(flushed, sizeof(std::atomic<int64_t>));
}
