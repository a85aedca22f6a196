#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "locking/lock_wait_policy.h"
#include "loop/aio_wait.h"
#include "loop/iothread.h"
#include "loop/main_loop.h"
#include "test_util.h"

using namespace locklab;

TEST_CASE("An IOThread runs its context's work in its own thread until stopped", "[loop][iothread]")
{
    IOThread io("io0");
    CHECK(io.id() == "io0");
    CHECK(io.context().name() == "io0");
    CHECK(io.thread_id() != std::this_thread::get_id());
    CHECK_FALSE(io.context().in_home_thread());

    std::atomic<std::thread::id> ran_in{};
    io.context().schedule_oneshot([&] { ran_in = std::this_thread::get_id(); });
    REQUIRE(test::eventually([&] { return ran_in.load() != std::thread::id{}; }));
    CHECK(ran_in.load() == io.thread_id());

    std::atomic<int> timer_calls{0};
    auto t = io.context().new_timer(ClockType::Virtual, [&] { ++timer_calls; });
    t->mod(clock_ns(ClockType::Virtual) + 1'000'000);  // armed from this thread: wakes the IOThread
    REQUIRE(test::eventually([&] { return timer_calls.load() == 1; }));

    io.stop();
    io.stop();  // idempotent
    std::atomic<bool> after_stop{false};
    io.context().schedule_oneshot([&] { after_stop = true; });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK_FALSE(after_stop);
}

TEST_CASE("An IOThread stopping itself is an error rather than a self-join", "[loop][iothread]")
{
    IOThread io("io0");
    bool threw = false;
    run_in_context(io.context(), [&] {
        try {
            io.stop();
        } catch (const std::logic_error&) {
            threw = true;
        }
    });
    CHECK(threw);
}

TEST_CASE("IOThread ids must be well formed", "[loop][iothread]")
{
    CHECK_THROWS_AS(IOThread(""), std::invalid_argument);
    CHECK_THROWS_AS(IOThread("0io"), std::invalid_argument);
    CHECK_THROWS_AS(IOThread("io 0"), std::invalid_argument);
    CHECK_NOTHROW(IOThread("io-0.a_b"));
}

TEST_CASE("The registry creates and finds and destroys IOThreads by id and refuses duplicates", "[loop][iothread]")
{
    IOThreadRegistry reg;
    IOThread& a = reg.create("io0");
    reg.create("io1", ContextLocking::ContextLock);
    CHECK_THROWS_AS(reg.create("io0"), std::invalid_argument);
    CHECK_THROWS_AS(reg.create("bad id"), std::invalid_argument);
    CHECK(reg.find("io0") == &a);
    CHECK(reg.find("io1")->context().locking() == ContextLocking::ContextLock);
    CHECK(reg.find("nope") == nullptr);
    CHECK(reg.ids() == std::vector<std::string>{"io0", "io1"});
    CHECK(reg.destroy("io0"));
    CHECK_FALSE(reg.destroy("io0"));
    CHECK(reg.ids() == std::vector<std::string>{"io1"});
    reg.destroy_all();
    CHECK(reg.ids().empty());
    CHECK(&iothreads() == &iothreads());
}

TEST_CASE("run_loop drives the main context until a callback asks it to stop", "[loop][iothread][main]")
{
    AioContext& main = main_context();
    main.attach_current_thread();
    CHECK(main.name() == "main");
    CHECK(current_context() == &main);
    std::atomic<bool> stop{false};
    int ticks = 0;
    std::unique_ptr<Timer> t;
    t = main.new_timer(ClockType::Virtual, [&] {
        if (++ticks == 3) {
            stop = true;
            return;
        }
        t->mod(clock_ns(ClockType::Virtual) + 1'000'000);
    });
    t->mod(0);
    run_loop(main, stop);
    CHECK(ticks == 3);
}

TEST_CASE("run_in_context runs a function in the target's home thread and waits for it", "[loop][iothread]")
{
    main_context().attach_current_thread();
    IOThread io("io0");
    std::thread::id where{};
    run_in_context(io.context(), [&] { where = std::this_thread::get_id(); });
    CHECK(where == io.thread_id());

    SECTION("exceptions reach the caller")
    {
        CHECK_THROWS_WITH(run_in_context(io.context(), [] { throw std::runtime_error("boom"); }), "boom");
    }
    SECTION("the waiting home thread keeps serving its own context, so work can be sent back")
    {
        std::thread::id back{};
        run_in_context(io.context(), [&] {
            run_in_context(main_context(), [&] { back = std::this_thread::get_id(); });
        });
        CHECK(back == std::this_thread::get_id());
    }
}

TEST_CASE("Event-loop threads (the main loop's, each IOThread's) are marked to spin for contended locks",
          "[loop][iothread]")
{
    bool before = true, after = false;
    std::thread([&] {
        AioContext ctx("marked");
        before = this_thread_is_event_loop();
        ctx.attach_current_thread();
        after = this_thread_is_event_loop();
    }).join();
    CHECK_FALSE(before);
    CHECK(after);

    main_context().attach_current_thread();
    IOThread io("io0");
    bool io_marked = false;
    run_in_context(io.context(), [&] { io_marked = this_thread_is_event_loop(); });
    CHECK(io_marked);
}
