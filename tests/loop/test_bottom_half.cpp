#include <catch2/catch.hpp>

#include <chrono>
#include <thread>
#include <vector>

#include "locking/reentrancy_guard.h"
#include "loop/aio_context.h"

using namespace locklab;

TEST_CASE("A scheduled bottom half runs once in the next poll and counts as progress", "[loop][bh]")
{
    AioContext ctx("t");
    int calls = 0;
    auto bh = ctx.new_bh([&] { ++calls; });
    REQUIRE_FALSE(ctx.poll(false));
    bh->schedule();
    CHECK(calls == 0);
    CHECK(ctx.poll(false));
    CHECK(calls == 1);
    CHECK_FALSE(ctx.poll(false));
    CHECK(calls == 1);
}

TEST_CASE("Scheduling a bottom half twice before it runs calls it once", "[loop][bh]")
{
    AioContext ctx("t");
    int calls = 0;
    auto bh = ctx.new_bh([&] { ++calls; });
    bh->schedule();
    bh->schedule();
    ctx.poll(false);
    CHECK(calls == 1);
}

TEST_CASE("A cancelled bottom half does not run and cancel does not stop a later schedule", "[loop][bh]")
{
    AioContext ctx("t");
    int calls = 0;
    auto bh = ctx.new_bh([&] { ++calls; });
    bh->schedule();
    bh->cancel();
    CHECK_FALSE(ctx.poll(false));
    CHECK(calls == 0);
    bh->schedule();
    CHECK(ctx.poll(false));
    CHECK(calls == 1);
}

TEST_CASE("Bottom halves run in the order they were scheduled", "[loop][bh]")
{
    AioContext ctx("t");
    std::vector<int> order;
    std::vector<std::unique_ptr<BottomHalf>> bhs;
    for (int i = 0; i < 5; ++i) bhs.push_back(ctx.new_bh([&order, i] { order.push_back(i); }));
    for (int i : {3, 0, 4, 1, 2}) bhs[i]->schedule();
    ctx.poll(false);
    CHECK(order == std::vector<int>{3, 0, 4, 1, 2});
}

TEST_CASE("A bottom half that reschedules itself runs once per poll and not in a loop", "[loop][bh]")
{
    AioContext ctx("t");
    int calls = 0;
    std::unique_ptr<BottomHalf> bh;
    bh = ctx.new_bh([&] {
        ++calls;
        bh->schedule();
    });
    bh->schedule();
    for (int i = 1; i <= 3; ++i) {
        CHECK(ctx.poll(true));  // never blocks: the BH is always scheduled again
        CHECK(calls == i);
    }
}

TEST_CASE("A bottom half may delete its own handle while it runs", "[loop][bh]")
{
    AioContext ctx("t");
    int calls = 0;
    std::unique_ptr<BottomHalf> bh;
    bh = ctx.new_bh([&] {
        ++calls;
        bh.reset();  // frees the handle; the node lives until the context drops it
        ++calls;     // still running safely (ASan would flag a use-after-free)
    });
    bh->schedule();
    CHECK(ctx.poll(false));
    CHECK(bh == nullptr);
    CHECK(calls == 2);
    CHECK_FALSE(ctx.poll(false));
}

TEST_CASE("Deleting a scheduled bottom half before it runs prevents the call", "[loop][bh]")
{
    AioContext ctx("t");
    int calls = 0;
    auto bh = ctx.new_bh([&] { ++calls; });
    bh->schedule();
    bh.reset();
    CHECK_FALSE(ctx.poll(false));
    CHECK(calls == 0);
}

TEST_CASE("Handles and one-shots that outlive their context do nothing", "[loop][bh]")
{
    int calls = 0;
    std::unique_ptr<BottomHalf> bh;
    {
        AioContext ctx("t");
        bh = ctx.new_bh([&] { ++calls; });
        bh->schedule();
        ctx.schedule_oneshot([&] { ++calls; });
    }
    bh->schedule();
    bh.reset();
    CHECK(calls == 0);
}

TEST_CASE("An idle bottom half runs in the next poll but is not progress", "[loop][bh]")
{
    AioContext ctx("t");
    int calls = 0;
    auto bh = ctx.new_bh([&] { ++calls; });
    bh->schedule_idle();
    const auto t0 = std::chrono::steady_clock::now();
    CHECK_FALSE(ctx.poll(true));  // scheduling notified the context: no sleep, and no progress
    CHECK(calls == 1);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(1));
    CHECK_FALSE(ctx.poll(false));
    CHECK(calls == 1);
}

TEST_CASE("A poll nested inside a bottom half continues the outer batch in order", "[loop][bh]")
{
    AioContext ctx("t");
    std::vector<int> order;
    auto b2 = ctx.new_bh([&] { order.push_back(2); });
    auto b3 = ctx.new_bh([&] { order.push_back(3); });
    auto b1 = ctx.new_bh([&] {
        order.push_back(1);
        ctx.poll(false);  // runs b2 and b3 (outer batch) from here
        order.push_back(10);
    });
    b1->schedule();
    b2->schedule();
    b3->schedule();
    CHECK(ctx.poll(false));
    CHECK(order == std::vector<int>{1, 2, 3, 10});
}

TEST_CASE("One-shot bottom halves scheduled from another thread run in the home thread", "[loop][bh]")
{
    AioContext ctx("t");
    ctx.attach_current_thread();
    const auto home = std::this_thread::get_id();
    int ran = 0;
    bool in_home = true;
    std::thread other([&] {
        for (int i = 0; i < 3; ++i)
            ctx.schedule_oneshot([&] {
                ++ran;
                in_home = in_home && std::this_thread::get_id() == home;
            });
    });
    other.join();
    CHECK(ctx.poll(true));
    CHECK(ran == 3);
    CHECK(in_home);
}

namespace {
// A device whose registers can be "DMA"d into: the MMIO entry point checks the re-entrancy guard
// exactly as memory/'s dispatch path does (ReentrancyHold).
struct DmaDevice {
    ReentrancyGuard guard;
    uint32_t reg = 0;
    int refused = 0;

    bool mmio_write(uint32_t v)
    {
        ReentrancyHold hold(guard);
        if (!hold) {
            ++refused;
            return false;  // the dispatch path turns this into an access fault
        }
        reg = v;
        return true;
    }
};
}  // namespace

TEST_CASE("A guarded bottom half makes its device refuse MMIO that would re-enter it", "[loop][bh][guard]")
{
    AioContext ctx("t");
    DmaDevice dev;
    bool dma_ok = true;
    // The BH "DMAs" into its own device's registers: the classic bh -> dma -> mmio re-entrancy.
    auto guarded = ctx.new_bh([&] { dma_ok = dev.mmio_write(0xdead); }, &dev.guard);
    guarded->schedule();
    ctx.poll(false);
    CHECK_FALSE(dma_ok);
    CHECK(dev.refused == 1);
    CHECK(dev.reg == 0);
    CHECK_FALSE(dev.guard.engaged());  // released after the BH

    // The same BH without the guard is allowed through: the guard is what refuses.
    auto unguarded = ctx.new_bh([&] { dma_ok = dev.mmio_write(0xbeef); });
    unguarded->schedule();
    ctx.poll(false);
    CHECK(dma_ok);
    CHECK(dev.reg == 0xbeef);
}

TEST_CASE("A guarded bottom half restores the guard's previous value", "[loop][bh][guard]")
{
    AioContext ctx("t");
    ReentrancyGuard guard;
    bool seen_engaged = false;
    auto bh = ctx.new_bh([&] { seen_engaged = guard.engaged(); }, &guard);
    // As if the BH ran from a poll nested in the device's own MMIO handler: engaged before.
    REQUIRE(guard.try_engage());
    bh->schedule();
    ctx.poll(false);
    CHECK(seen_engaged);
    CHECK(guard.engaged());  // restored to engaged, not cleared
    guard.disengage();
}
