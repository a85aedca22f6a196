// How threads wait for a contended InstrumentedLock (locking/lock_wait_policy.h): an event-loop
// thread spins up to the bound before it sleeps, any other thread sleeps at once. "Sleeps" is
// read from the kernel: a futex wait is a voluntary context switch (getrusage's ru_nvcsw), while
// spinning, even when preempted, is not.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <sys/resource.h>
#include <thread>

#include "locking/instrumented_lock.h"
#include "locking/lock_stats.h"
#include "locking/lock_wait_policy.h"
#include "hooked_mutex.h"

using namespace locklab;
using namespace std::chrono_literals;

namespace {

long voluntary_switches()
{
    rusage u{};
    getrusage(RUSAGE_THREAD, &u);
    return u.ru_nvcsw;
}

// Sets the spin bound for one test and puts the default back.
class SpinBound {
public:
    explicit SpinBound(std::chrono::nanoseconds bound) { set_event_loop_lock_spin(bound); }
    ~SpinBound() { set_event_loop_lock_spin(kDefaultEventLoopSpin); }
};

struct Wait {
    long sleeps = 0;  // voluntary context switches during lock()
    std::chrono::nanoseconds waited{};
};

// Another thread holds `lock` for `hold`; a thread marked as an event-loop thread or not asks for
// it meanwhile and reports how it waited.
Wait wait_behind_holder(InstrumentedLock& lock, bool event_loop, std::chrono::milliseconds hold)
{
    std::atomic<bool> held{false};
    std::thread holder([&] {
        lock.lock();
        held.store(true);
        std::this_thread::sleep_for(hold);
        lock.unlock();
    });
    Wait w;
    std::thread waiter([&] {
        mark_this_thread_event_loop(event_loop);
        while (!held.load()) std::this_thread::yield();
        const long before = voluntary_switches();
        const auto t0 = std::chrono::steady_clock::now();
        lock.lock();
        w.waited = std::chrono::steady_clock::now() - t0;
        w.sleeps = voluntary_switches() - before;
        lock.unlock();
    });
    holder.join();
    waiter.join();
    return w;
}

}  // namespace

TEST_CASE("Threads are not event-loop threads until they say so", "[locking][lock_wait]")
{
    bool in_new_thread = true;
    std::thread([&] { in_new_thread = this_thread_is_event_loop(); }).join();
    CHECK_FALSE(in_new_thread);
    std::thread([&] {
        mark_this_thread_event_loop();
        in_new_thread = this_thread_is_event_loop();
    }).join();
    CHECK(in_new_thread);
    CHECK(event_loop_lock_spin() == kDefaultEventLoopSpin);
}

TEST_CASE("An event-loop thread spins for a contended lock instead of sleeping", "[locking][lock_wait]")
{
    const SpinBound bound(10s);  // far longer than the hold
    const bool stats = GENERATE(false, true);  // both paths of lock(): with and without instrumentation
    INFO((stats ? "with" : "without") << " lock statistics");
    lockstats_reset();
    std::optional<test::InstrumentationOn> on;
    if (stats) on.emplace(lockstats_enable);
    InstrumentedLock lock("test.lock_wait.spin");

    const Wait w = wait_behind_holder(lock, true, 30ms);
    CHECK(w.sleeps == 0);
    CHECK(w.waited >= 20ms);  // it did wait for the holder
    if (stats) {
        bool found = false;
        for (const LockClassStats& s : lockstats_snapshot()) {
            if (s.name != "test.lock_wait.spin") continue;
            found = true;
            CHECK(s.contended == 1);  // the spun wait is a contended acquisition, timed as one
            CHECK(s.wait.max_ns >= 20'000'000);
        }
        CHECK(found);
    }
}

TEST_CASE("Other threads, and event-loop threads past the bound, sleep on a contended lock", "[locking][lock_wait]")
{
    InstrumentedLock lock("test.lock_wait.sleep");
    SECTION("a thread that is not an event-loop thread sleeps at once")
    {
        const SpinBound bound(10s);
        const Wait w = wait_behind_holder(lock, false, 30ms);
        CHECK(w.sleeps >= 1);
    }
    SECTION("an event-loop thread sleeps once the bound has passed, and still gets the lock")
    {
        const SpinBound bound(1ms);
        const Wait w = wait_behind_holder(lock, true, 50ms);
        CHECK(w.sleeps >= 1);
        CHECK(w.waited >= 40ms);
    }
    SECTION("bound 0: event-loop threads sleep at once (QEMU's main loop)")
    {
        const SpinBound bound(0ns);
        const Wait w = wait_behind_holder(lock, true, 30ms);
        CHECK(w.sleeps >= 1);
    }
}

TEST_CASE("A negative spin bound means none", "[locking][lock_wait]")
{
    const SpinBound bound(-5us);
    CHECK(event_loop_lock_spin() == 0ns);
}
