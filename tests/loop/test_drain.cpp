#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "fake_backend.h"
#include "loop/iothread.h"
#include "loop/main_loop.h"
#include "test_util.h"

using namespace locklab;
using namespace std::chrono_literals;
using test::FakeBackend;

namespace {
// Counts hook calls; in flight is driven by hand.
struct Counted : Drainable {
    using Drainable::Drainable;
    int begins = 0, ends = 0;
    void on_drained_begin() override { ++begins; }
    void on_drained_end() override { ++ends; }
};
}  // namespace

TEST_CASE("drained_begin waits until requests in flight complete and no new one starts meanwhile", "[loop][drain]")
{
    const ContextLocking mode = GENERATE(ContextLocking::HomeThread, ContextLocking::ContextLock);
    main_context().attach_current_thread();
    IOThread io("io0", mode);
    FakeBackend be(io.context(), 2ms);
    for (unsigned i = 0; i < 20; ++i) be.submit(i);
    REQUIRE(test::eventually([&] { return be.in_flight() > 0; }));

    be.drained_begin();
    CHECK(be.in_flight() == 0);
    CHECK(be.quiesced());
    const unsigned done = be.completed();
    for (unsigned i = 20; i < 30; ++i) be.submit(i);  // queued while drained
    std::this_thread::sleep_for(20ms);
    CHECK(be.in_flight() == 0);
    CHECK(be.completed() == done);  // nothing started
    be.drained_end();

    REQUIRE(test::eventually([&] { return be.completed() == 30; }));
    CHECK(be.all_completions_exclusive());
}

TEST_CASE("Nested drained sections quiesce once and resume only at the outermost end", "[loop][drain]")
{
    AioContext ctx("t");
    ctx.attach_current_thread();
    Counted d("dev", ctx);
    {
        DrainedSection outer(d);
        {
            DrainedSection inner(d);
            CHECK(d.begins == 1);
        }
        CHECK(d.ends == 0);
        CHECK(d.quiesced());
    }
    CHECK(d.ends == 1);
    CHECK_FALSE(d.quiesced());
}

TEST_CASE("drained_begin in the home thread polls its context until the last completion", "[loop][drain]")
{
    AioContext ctx("t");
    ctx.attach_current_thread();
    Counted d("dev", ctx);
    d.inc_in_flight();
    d.inc_in_flight();
    auto t1 = ctx.new_timer(ClockType::Virtual, [&] { d.dec_in_flight(); });
    t1->mod(clock_ns(ClockType::Virtual) + 2'000'000);
    std::thread other([&] {  // a completion from another thread must kick the waiting poll
        std::this_thread::sleep_for(5ms);
        d.dec_in_flight();
    });
    d.drained_begin();
    other.join();
    CHECK(d.in_flight() == 0);
    CHECK_FALSE(t1->pending());
    d.drained_end();
}

TEST_CASE("Draining from a thread that is neither the home thread nor the main loop is an error", "[loop][drain]")
{
    main_context().attach_current_thread();
    IOThread io("io0");
    Counted d("dev", io.context());
    std::string error;
    std::thread stranger([&] {
        try {
            d.drained_begin();
        } catch (const DrainError& e) {
            error = e.what();
        }
    });
    stranger.join();
    CHECK(error.find("dev") != std::string::npos);
    CHECK(error.find("io0") != std::string::npos);
    CHECK(d.begins == 0);
    CHECK_THROWS_AS(d.drained_end(), DrainError);  // not drained

    IOThread io1("io1");
    bool threw = false;  // another IOThread is a wrong thread too (cross-IOThread waits deadlock)
    run_in_context(io1.context(), [&] {
        try {
            d.move_to_context(io1.context());
        } catch (const DrainError&) {
            threw = true;
        }
    });
    CHECK(threw);
    CHECK(&d.aio_context() == &io.context());
}

TEST_CASE("Moving a busy backend between IOThreads with requests in flight loses none", "[loop][drain][move][stress]")
{
    const ContextLocking mode = GENERATE(ContextLocking::HomeThread, ContextLocking::ContextLock);
    main_context().attach_current_thread();
    IOThread io0("io0", mode), io1("io1", mode);
    FakeBackend be(io0.context(), 50us);

    std::vector<std::string> log;  // notifier calls, in the mover's (this) thread
    be.context_notifiers().add([&](AioContext& c) { log.push_back("attach " + c.name()); },
                               [&](AioContext& c) { log.push_back("detach " + c.name()); });

    std::atomic<bool> stop{false};
    std::thread client([&] {  // keeps up to 32 requests outstanding, like a virtqueue
        for (unsigned id = 0; !stop; ++id) {
            while (be.submitted() - be.completed() >= 32 && !stop) std::this_thread::sleep_for(20us);
            be.submit(id);
        }
    });
    const auto end = std::chrono::steady_clock::now() + test::stress_duration(0.5);
    int moves = 0;
    unsigned max_in_flight_seen = 0;
    while (std::chrono::steady_clock::now() < end || moves < 4) {
        std::this_thread::sleep_for(2ms);
        max_in_flight_seen = std::max<unsigned>(max_in_flight_seen, unsigned(be.in_flight()));
        be.move_to_context(moves % 2 == 0 ? io1.context() : io0.context());
        ++moves;
    }
    stop = true;
    client.join();

    REQUIRE(test::eventually([&] { return be.completed() == be.submitted(); }));
    const auto per_id = be.completions();
    CHECK(per_id.size() == be.submitted());
    CHECK(std::all_of(per_id.begin(), per_id.end(), [](int n) { return n == 1; }));  // none lost or doubled
    CHECK(be.all_completions_exclusive());
    CHECK(be.completions_in(io0.context()) > 0);
    CHECK(be.completions_in(io1.context()) > 0);
    CHECK(max_in_flight_seen > 0);  // the backend really was busy when moved
    REQUIRE(log.size() == size_t(2 * moves));
    CHECK(log[0] == "detach io0");
    CHECK(log[1] == "attach io1");
    CHECK(log[2] == "detach io1");
    CHECK(log[3] == "attach io0");
    be.drained_begin();  // nothing may be in flight when the backend is destroyed
}
