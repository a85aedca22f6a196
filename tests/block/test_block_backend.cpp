#include <catch2/catch.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "block/block_backend.h"
#include "block/io_vector.h"
#include "loop/iothread.h"
#include "loop/main_loop.h"
#include "completions.h"
#include "memory_disk.h"
#include "tests/loop/test_util.h"

using namespace locklab;
using namespace std::chrono_literals;
using test::Completions;
using test::Gate;
using test::MemoryDisk;

namespace {

// Opens `gate` after a short delay, from another thread.
std::thread open_later(Gate& gate, std::chrono::milliseconds delay)
{
    return std::thread([&gate, delay] {
        std::this_thread::sleep_for(delay);
        gate.open();
    });
}

}  // namespace

TEST_CASE("BlockBackend: completions run in the home thread of the backend's AioContext", "[block][backend]")
{
    IOThread io("blk-io0");
    auto drv = std::make_unique<MemoryDisk>(1 << 20);
    Gate& gate = drv->gate;
    gate.close();
    gate.open();
    BlockBackend blk("d0", std::move(drv), io.context());
    REQUIRE(blk.id() == "d0");
    REQUIRE(blk.length() == 1 << 20);

    std::vector<uint8_t> wbuf(4096, 0xab), rbuf(4096, 0);
    Completions c;
    run_in_context(io.context(), [&] {
        blk.write(8192, IoVector{std::span<uint8_t>(wbuf)}, [&](int ret) {
            c.make()(ret);
            blk.read(8192, IoVector{std::span<uint8_t>(rbuf)}, c.make());  // chained from the completion
        });
        blk.flush(c.make());
        blk.read(1 << 20, IoVector{std::span<uint8_t>(rbuf)}, c.make());  // past the end
    });
    REQUIRE(test::eventually([&] { return c.count() == 4; }));
    CHECK(c.count_in(io.thread_id()) == 4);
    std::lock_guard lk(c.m);
    CHECK(std::count(c.results.begin(), c.results.end(), 0) == 3);
    CHECK(std::count(c.results.begin(), c.results.end(), -EINVAL) == 1);
    CHECK(rbuf == wbuf);
}

TEST_CASE("BlockBackend: a drained section waits for requests in flight and holds back new ones until it ends",
          "[block][backend]")
{
    const ContextLocking mode = GENERATE(ContextLocking::HomeThread, ContextLocking::ContextLock);
    main_context().attach_current_thread();
    IOThread io("blk-io1", mode);
    auto drv = std::make_unique<MemoryDisk>(1 << 20);
    Gate& gate = drv->gate;
    gate.close();
    BlockBackend blk("d1", std::move(drv), io.context());

    std::vector<uint8_t> buf(512);
    Completions c;
    for (int i = 0; i < 6; ++i) blk.read(0, IoVector{std::span<uint8_t>(buf)}, c.make());
    REQUIRE(blk.in_flight() == 6);
    REQUIRE(test::eventually([&] { return gate.waiting() > 0; }));

    std::thread opener = open_later(gate, 50ms);
    blk.drained_begin();  // from the main loop: waits (polling main_context, or the IOThread's context
                          // under its lock) until every request completed
    opener.join();
    CHECK(c.count() == 6);
    CHECK(blk.in_flight() == 0);

    for (int i = 0; i < 3; ++i) blk.write(0, IoVector{std::span<uint8_t>(buf)}, c.make());
    std::this_thread::sleep_for(30ms);
    CHECK(blk.in_flight() == 0);  // held back, not started
    CHECK(c.count() == 6);
    blk.drained_end();
    REQUIRE(test::eventually([&] { return c.count() == 9; }));
    if (mode == ContextLocking::HomeThread) CHECK(c.count_in(io.thread_id()) == 9);
}

TEST_CASE("BlockBackend: move_to_context with requests in flight loses none and later completions follow the move",
          "[block][backend]")
{
    main_context().attach_current_thread();
    IOThread from("blk-from"), to("blk-to");
    auto drv = std::make_unique<MemoryDisk>(1 << 20);
    Gate& gate = drv->gate;
    gate.close();
    BlockBackend blk("d2", std::move(drv), from.context());

    constexpr int kBefore = 40, kAfter = 25;
    std::vector<std::vector<uint8_t>> bufs(kBefore + kAfter, std::vector<uint8_t>(4096));
    Completions c;
    run_in_context(from.context(), [&] {
        for (int i = 0; i < kBefore; ++i)
            blk.write(static_cast<uint64_t>(i) * 4096, IoVector{std::span<uint8_t>(bufs[i])}, c.make());
    });
    REQUIRE(blk.in_flight() == kBefore);
    std::thread opener = open_later(gate, 30ms);
    blk.move_to_context(to.context());
    opener.join();
    CHECK(&blk.aio_context() == &to.context());
    CHECK(c.count() == kBefore);
    CHECK(c.count_in(from.thread_id()) == kBefore);

    run_in_context(to.context(), [&] {
        for (int i = kBefore; i < kBefore + kAfter; ++i)
            blk.read(static_cast<uint64_t>(i) * 4096, IoVector{std::span<uint8_t>(bufs[i])}, c.make());
    });
    REQUIRE(test::eventually([&] { return c.count() == kBefore + kAfter; }));
    CHECK(c.count_in(to.thread_id()) == kAfter);
    std::lock_guard lk(c.m);
    CHECK(std::count(c.results.begin(), c.results.end(), 0) == kBefore + kAfter);
}

TEST_CASE("BlockBackend: destroying it waits for the requests in flight, from the main loop or any other thread",
          "[block][backend]")
{
    const bool from_main_loop = GENERATE(true, false);  // drains, or (may not drain) just waits
    main_context().attach_current_thread();
    IOThread io("blk-io3");
    auto drv = std::make_unique<MemoryDisk>(1 << 20);
    Gate& gate = drv->gate;
    gate.close();
    std::vector<uint8_t> buf(512);
    Completions c;
    std::thread opener;
    auto use_and_destroy = [&] {
        BlockBackend blk("d3", std::move(drv), io.context());
        for (int i = 0; i < 5; ++i) blk.read(0, IoVector{std::span<uint8_t>(buf)}, c.make());
        opener = open_later(gate, 30ms);
    };  // the destructor waits until the gate opens and the reads completed
    if (from_main_loop)
        use_and_destroy();
    else
        std::thread(use_and_destroy).join();
    CHECK(c.count() == 5);
    opener.join();
}
