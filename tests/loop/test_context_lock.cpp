#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "loop/iothread.h"
#include "loop/main_loop.h"
#include "test_util.h"

using namespace locklab;
using namespace std::chrono_literals;

TEST_CASE("A home-thread context has no lock: acquire is a clear error", "[loop][lock]")
{
    AioContext ctx("t");
    CHECK_THROWS_AS(ctx.acquire(), std::logic_error);
    CHECK_THROWS_AS(ctx.release(), std::logic_error);
    CHECK_FALSE(ctx.held_by_me());
}

TEST_CASE("In context-lock mode poll requires the lock and the lock is recursive", "[loop][lock]")
{
    AioContext ctx("t", ContextLocking::ContextLock);
    CHECK_THROWS_AS(ctx.poll(false), std::logic_error);
    ctx.acquire();
    ctx.acquire();
    CHECK(ctx.held_by_me());
    CHECK_FALSE(ctx.poll(false));
    ctx.release();
    CHECK(ctx.held_by_me());
    ctx.release();
    CHECK_FALSE(ctx.held_by_me());
}

TEST_CASE("A waiter gets the context lock while its owner sleeps in aio_poll", "[loop][lock]")
{
    IOThread io("io0", ContextLocking::ContextLock);  // idle: blocked in poll, holding the lock
    std::this_thread::sleep_for(10ms);
    for (int i = 0; i < 20; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        io.context().acquire();  // the contention callback pokes the owner out of its poll
        CHECK(io.context().held_by_me());
        io.context().release();
        CHECK(std::chrono::steady_clock::now() - t0 < 5s);  // a lost poke would hang (forever)
    }
}

TEST_CASE("A waiter is not starved by an owner whose every poll makes progress", "[loop][lock]")
{
    IOThread io("io0", ContextLocking::ContextLock);
    std::atomic<long> bh_runs{0};
    std::unique_ptr<BottomHalf> busy;
    run_in_context(io.context(), [&] {
        busy = io.context().new_bh([&] {
            ++bh_runs;
            busy->schedule();  // always more work: every poll of the owner makes progress
        });
        busy->schedule();
    });
    for (int i = 0; i < 20; ++i) {
        const long before = bh_runs;
        REQUIRE(test::eventually([&] { return bh_runs > before; }));  // the owner loops, lock held
        std::atomic<bool> got{false};
        std::thread waiter([&] {
            io.context().acquire();
            got = true;
            io.context().release();
        });
        const bool in_time = test::eventually([&] { return got.load(); }, 5s);
        if (!in_time) io.stop();  // breaks the owner's loop so the waiter can finish
        waiter.join();
        REQUIRE(in_time);
    }
    run_in_context(io.context(), [&] { busy->cancel(); });
    io.stop();
}

TEST_CASE("run_exclusive serialises with the context's own callbacks in both locking modes", "[loop][lock]")
{
    const ContextLocking mode = GENERATE(ContextLocking::HomeThread, ContextLocking::ContextLock);
    main_context().attach_current_thread();
    IOThread io("io0", mode);
    long counter = 0;  // touched by the IOThread's BH and by run_exclusive: TSan checks exclusion
    std::unique_ptr<BottomHalf> bh;
    io.context().run_exclusive([&] {
        bh = io.context().new_bh([&] {
            ++counter;
            bh->schedule();
        });
        bh->schedule();
    });
    for (int i = 0; i < 200; ++i) io.context().run_exclusive([&] { counter += 1000; });
    io.context().run_exclusive([&] { bh->cancel(); });
    io.stop();
    CHECK(counter >= 200 * 1000);
}
