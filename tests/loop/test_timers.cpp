#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "loop/aio_context.h"

using namespace locklab;
using namespace std::chrono_literals;

namespace {
int64_t ms(int64_t v) { return v * 1'000'000; }
auto elapsed_since(std::chrono::steady_clock::time_point t0) { return std::chrono::steady_clock::now() - t0; }
}  // namespace

TEST_CASE("An expired timer fires only when poll runs and exactly once", "[loop][timer]")
{
    AioContext ctx("t");
    int calls = 0;
    auto t = ctx.new_timer(ClockType::Virtual, [&] { ++calls; });
    t->mod(clock_ns(ClockType::Virtual) - 1);
    CHECK(t->pending());
    CHECK(calls == 0);
    CHECK(ctx.poll(false));
    CHECK(calls == 1);
    CHECK_FALSE(t->pending());
    CHECK_FALSE(ctx.poll(false));
    CHECK(calls == 1);
}

TEST_CASE("A blocking poll sleeps until the earliest timer deadline even below a millisecond", "[loop][timer]")
{
    AioContext ctx("t");
    int which = 0;
    auto late = ctx.new_timer(ClockType::Virtual, [&] { which = 2; });
    auto early = ctx.new_timer(ClockType::Realtime, [&] { which = 1; });
    late->mod(clock_ns(ClockType::Virtual) + ms(500));
    early->mod(clock_ns(ClockType::Realtime) + 1'500'000);  // 1.5 ms
    const auto t0 = std::chrono::steady_clock::now();
    while (which == 0) ctx.poll(true);
    CHECK(which == 1);
    CHECK(elapsed_since(t0) >= 1500us);
    CHECK(elapsed_since(t0) < 400ms);
    CHECK(late->pending());
}

TEST_CASE("Deleting a timer before its deadline prevents the call", "[loop][timer]")
{
    AioContext ctx("t");
    int calls = 0;
    auto t = ctx.new_timer(ClockType::Virtual, [&] { ++calls; });
    t->mod(clock_ns(ClockType::Virtual) + ms(1));
    t->del();
    CHECK_FALSE(t->pending());
    std::this_thread::sleep_for(2ms);
    CHECK_FALSE(ctx.poll(false));
    CHECK(calls == 0);
}

TEST_CASE("Re-arming a timer moves its deadline", "[loop][timer]")
{
    AioContext ctx("t");
    int calls = 0;
    auto t = ctx.new_timer(ClockType::Virtual, [&] { ++calls; });
    t->mod(clock_ns(ClockType::Virtual) - 1);
    t->mod(clock_ns(ClockType::Virtual) + ms(10'000));
    CHECK_FALSE(ctx.poll(false));
    CHECK(calls == 0);
    CHECK(t->pending());
}

TEST_CASE("Timer::mod from another thread wakes a blocked poll and shortens its sleep", "[loop][timer]")
{
    AioContext ctx("t");
    ctx.attach_current_thread();
    std::atomic<int> calls{0};
    auto far = ctx.new_timer(ClockType::Virtual, [] {});
    far->mod(clock_ns(ClockType::Virtual) + ms(60'000));  // the poll would sleep a minute
    auto t = ctx.new_timer(ClockType::Virtual, [&] { ++calls; });
    std::thread other([&] {
        std::this_thread::sleep_for(20ms);
        t->mod(clock_ns(ClockType::Virtual) + ms(5));
    });
    const auto t0 = std::chrono::steady_clock::now();
    while (calls == 0) ctx.poll(true);
    other.join();
    CHECK(elapsed_since(t0) < 10s);
}

TEST_CASE("A timer re-armed for 'now' inside its callback runs once per poll", "[loop][timer]")
{
    AioContext ctx("t");
    int calls = 0;
    std::unique_ptr<Timer> t;
    t = ctx.new_timer(ClockType::Virtual, [&] {
        ++calls;
        t->mod(clock_ns(ClockType::Virtual));
    });
    t->mod(0);
    CHECK(ctx.poll(false));
    CHECK(calls == 1);
    CHECK(ctx.poll(false));
    CHECK(calls == 2);
}

TEST_CASE("A timer callback may delete another timer that expired in the same pass", "[loop][timer]")
{
    AioContext ctx("t");
    int second_calls = 0;
    std::unique_ptr<Timer> second = ctx.new_timer(ClockType::Virtual, [&] { ++second_calls; });
    auto first = ctx.new_timer(ClockType::Virtual, [&] { second->del(); });
    first->mod(1);
    second->mod(2);
    CHECK(ctx.poll(false));
    CHECK(second_calls == 0);
}

TEST_CASE("A timer may be destroyed from inside its own callback", "[loop][timer]")
{
    AioContext ctx("t");
    int calls = 0;
    std::unique_ptr<Timer> t;
    t = ctx.new_timer(ClockType::Virtual, [&] {
        t.reset();
        ++calls;
    });
    t->mod(0);
    ctx.poll(false);
    CHECK(calls == 1);
    CHECK(t == nullptr);
}

TEST_CASE("Timers that outlive their context can still be used and destroyed", "[loop][timer]")
{
    std::unique_ptr<Timer> t;
    {
        AioContext ctx("t");
        t = ctx.new_timer(ClockType::Virtual, [] {});
        t->mod(clock_ns(ClockType::Virtual) + ms(1));
    }
    CHECK_FALSE(t->pending());
    t->mod(0);
    CHECK_FALSE(t->pending());
}

TEST_CASE("Virtual-clock timers follow an installed virtual clock source", "[loop][timer][clock]")
{
    std::atomic<int64_t> now{1'000};
    set_virtual_clock([&] { return now.load(); });
    CHECK(clock_ns(ClockType::Virtual) == 1'000);
    AioContext ctx("t");
    int calls = 0;
    auto t = ctx.new_timer(ClockType::Virtual, [&] { ++calls; });
    t->mod(5'000);
    CHECK_FALSE(ctx.poll(false));
    now = 4'999;
    CHECK_FALSE(ctx.poll(false));
    now = 5'000;
    CHECK(ctx.poll(false));
    CHECK(calls == 1);
    set_virtual_clock({});
    CHECK(clock_ns(ClockType::Virtual) > 5'000);  // back on the host monotonic clock
}

TEST_CASE("The Realtime clock reads nanoseconds since the epoch", "[loop][clock]")
{
    const int64_t now = clock_ns(ClockType::Realtime);
    const int64_t sys = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    CHECK(std::abs(now - sys) < ms(1'000));
}
