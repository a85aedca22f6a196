#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "loop/aio_context.h"
#include "test_util.h"

using namespace locklab;
using namespace std::chrono_literals;

TEST_CASE("notify wakes a blocked poll from another thread and is not progress", "[loop][notify]")
{
    AioContext ctx("t");
    ctx.attach_current_thread();
    const auto t0 = std::chrono::steady_clock::now();  // before the thread: its 20 ms start after t0
    std::thread other([&] {
        std::this_thread::sleep_for(20ms);
        ctx.notify();
    });
    CHECK_FALSE(ctx.poll(true));  // nothing else is armed: only notify can end this wait
    CHECK(std::chrono::steady_clock::now() - t0 >= 15ms);
    other.join();
}

TEST_CASE("A notify that arrives before poll blocks is not lost", "[loop][notify]")
{
    AioContext ctx("t");
    ctx.notify();
    CHECK_FALSE(ctx.poll(true));  // returns at once instead of sleeping forever
}

TEST_CASE("poll outside the home thread is refused with an error", "[loop][notify]")
{
    AioContext ctx("t");
    ctx.attach_current_thread();
    bool threw = false;
    std::thread other([&] {
        try {
            ctx.poll(false);
        } catch (const std::logic_error&) {
            threw = true;
        }
    });
    other.join();
    CHECK(threw);
    CHECK(ctx.in_home_thread());
    CHECK(current_context() == &ctx);
}

TEST_CASE("Many threads scheduling BHs and notifying one context lose no work and no wake-up", "[loop][notify][stress]")
{
    AioContext ctx("stress");
    ctx.attach_current_thread();
    constexpr int kThreads = 4;
    const auto deadline = std::chrono::steady_clock::now() + test::stress_duration(1.0);
    std::atomic<long> sent{0};
    long received = 0;
    std::atomic<int> running{kThreads};
    long shared_runs = 0;
    auto shared = ctx.new_bh([&] { ++shared_runs; });

    std::vector<std::thread> producers;
    for (int i = 0; i < kThreads; ++i) {
        producers.emplace_back([&, i] {
            long n = 0;
            while (std::chrono::steady_clock::now() < deadline) {
                ctx.schedule_oneshot([&received] { ++received; });
                ++n;
                if (i == 0) shared->schedule();  // idempotent schedule racing with its runs
                if (n % 8 == 0) ctx.notify();
                if (n % 64 == 0) std::this_thread::yield();  // let the poller block sometimes
            }
            sent += n;
            --running;
            ctx.notify();
        });
    }
    // Every poll(true) must come back: a lost wake-up would hang here (CTest's timeout catches it).
    while (running > 0 || received < sent) ctx.poll(true);
    for (auto& t : producers) t.join();
    ctx.poll(false);
    CHECK(received == sent.load());
    CHECK(shared_runs > 0);
    INFO("one-shots: " << received << ", shared BH runs: " << shared_runs);
}
