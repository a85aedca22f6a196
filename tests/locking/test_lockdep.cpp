// Lock-order validator: learns the order lock classes are taken in and reports the first cycle.
#include <catch2/catch.hpp>

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <source_location>
#include <thread>
#include <vector>

#include "locking/lockdep.h"
#include "hooked_mutex.h"

using namespace locklab;
using locklab::test::HookedMutex;
using locklab::test::InstrumentationOn;

namespace {

InstrumentationOn lockdep_on()
{
    lockdep_reset();
    return InstrumentationOn([](bool on) { lockdep_enable(on ? LockdepMode::Warn : LockdepMode::Off); });
}

// Runs f on a new thread called `name`, and waits for it (phases run one after the other, so an
// inverted order is seen without ever deadlocking).
template <class F>
void on_thread(const char* name, F f)
{
    std::thread([&] {
        pthread_setname_np(pthread_self(), name);
        f();
    }).join();
}

bool same_site(const std::source_location& a, const std::source_location& b)
{
    return a.line() == b.line() && std::string_view(a.file_name()) == b.file_name();
}

}  // namespace

TEST_CASE("two threads taking two classes in opposite orders are reported with both call sites",
          "[locking][lockdep]")
{
    auto on = lockdep_on();
    HookedMutex a("test.lockdep.ab.a"), b("test.lockdep.ab.b");
    std::source_location a_first, b_second, b_first, a_second;
    on_thread("ab-worker", [&] {
        a.lock(a_first = std::source_location::current());
        b.lock(b_second = std::source_location::current());
        b.unlock();
        a.unlock();
    });
    CHECK(lockdep_reports().empty());
    on_thread("ba-worker", [&] {
        b.lock(b_first = std::source_location::current());
        a.lock(a_second = std::source_location::current());
        a.unlock();
        b.unlock();
    });

    const auto reports = lockdep_reports();
    REQUIRE(reports.size() == 1);
    const LockdepReport& r = reports[0];
    CHECK(r.new_order.from == "test.lockdep.ab.b");
    CHECK(r.new_order.to == "test.lockdep.ab.a");
    CHECK(r.new_order.thread == "ba-worker");
    CHECK(same_site(r.new_order.from_site, b_first));
    CHECK(same_site(r.new_order.to_site, a_second));
    REQUIRE(r.opposite.size() == 1);
    CHECK(r.opposite[0].from == "test.lockdep.ab.a");
    CHECK(r.opposite[0].to == "test.lockdep.ab.b");
    CHECK(r.opposite[0].thread == "ab-worker");
    CHECK(same_site(r.opposite[0].from_site, a_first));
    CHECK(same_site(r.opposite[0].to_site, b_second));
    const std::string line = ":" + std::to_string(a_first.line()) + " ";
    CHECK_THAT(r.text, Catch::Contains("possible deadlock") && Catch::Contains(line) &&
                           Catch::Contains(":" + std::to_string(a_second.line()) + " ") &&
                           Catch::Contains("ba-worker") && Catch::Contains("ab-worker"));
}

TEST_CASE("a cycle through three classes is reported with the whole opposite path", "[locking][lockdep]")
{
    auto on = lockdep_on();
    HookedMutex a("test.lockdep.3.a"), b("test.lockdep.3.b"), c("test.lockdep.3.c");
    auto in_order = [](HookedMutex& first, HookedMutex& second) {
        first.lock();
        second.lock();
        second.unlock();
        first.unlock();
    };
    on_thread("t1", [&] { in_order(a, b); });
    on_thread("t2", [&] { in_order(b, c); });
    CHECK(lockdep_reports().empty());
    on_thread("t3", [&] { in_order(c, a); });

    const auto reports = lockdep_reports();
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].new_order.from == "test.lockdep.3.c");
    CHECK(reports[0].new_order.to == "test.lockdep.3.a");
    REQUIRE(reports[0].opposite.size() == 2);
    CHECK(reports[0].opposite[0].from == "test.lockdep.3.a");
    CHECK(reports[0].opposite[0].to == "test.lockdep.3.b");
    CHECK(reports[0].opposite[0].thread == "t1");
    CHECK(reports[0].opposite[1].from == "test.lockdep.3.b");
    CHECK(reports[0].opposite[1].to == "test.lockdep.3.c");
    CHECK(reports[0].opposite[1].thread == "t2");
}

TEST_CASE("threads that all take classes in one order concurrently get no report", "[locking][lockdep]")
{
    auto on = lockdep_on();
    HookedMutex a("test.lockdep.ok.a"), b("test.lockdep.ok.b"), c("test.lockdep.ok.c");
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 500; ++i) {
                // Every subset, always in the order a, b, c.
                std::scoped_lock<HookedMutex> la(a);
                if ((i + t) % 2) {
                    std::lock_guard lb(b);
                    std::lock_guard lc(c);
                } else {
                    std::lock_guard lc(c);
                }
            }
        });
    for (auto& th : threads) th.join();
    CHECK(lockdep_reports().empty());
    CHECK(lockdep_edge_count() == 3);  // a->b, a->c, b->c
}

TEST_CASE("nesting two locks of one class is not a cycle", "[locking][lockdep]")
{
    auto on = lockdep_on();
    HookedMutex a1("test.lockdep.nest.a"), a2("test.lockdep.nest.a"), b("test.lockdep.nest.b");
    on_thread("nest1", [&] {
        a1.lock();
        a2.lock();
        b.lock();
        b.unlock();
        a2.unlock();
        a1.unlock();
    });
    on_thread("nest2", [&] {
        a2.lock();
        a1.lock();
        a1.unlock();
        a2.unlock();
    });
    CHECK(lockdep_reports().empty());
    CHECK(lockdep_edge_count() == 1);  // a->b only
}

TEST_CASE("taking a lock of a held class after another class is a real inversion", "[locking][lockdep]")
{
    auto on = lockdep_on();
    HookedMutex a1("test.lockdep.inv.a"), a2("test.lockdep.inv.a"), b("test.lockdep.inv.b");
    a1.lock();
    b.lock();
    a2.lock();  // a -> b -> a: another thread doing a2, b, a1 would deadlock with this one
    a2.unlock();
    b.unlock();
    a1.unlock();
    REQUIRE(lockdep_reports().size() == 1);
    CHECK(lockdep_reports()[0].new_order.from == "test.lockdep.inv.b");
}

TEST_CASE("a trylock against the order adds no edge but its lock orders the locks taken under it",
          "[locking][lockdep]")
{
    auto on = lockdep_on();
    HookedMutex a("test.lockdep.try.a"), b("test.lockdep.try.b"), c("test.lockdep.try.c");
    on_thread("order", [&] {
        std::scoped_lock<HookedMutex> la(a);
        std::lock_guard lb(b);
    });
    on_thread("trylock", [&] {
        std::lock_guard lb(b);
        REQUIRE(a.try_lock());  // b -> a by trylock: cannot deadlock
        {
            std::lock_guard lc(c);  // a -> c and b -> c
        }
        a.unlock();
    });
    CHECK(lockdep_reports().empty());
    CHECK(lockdep_edge_count() == 3);  // a->b, a->c, b->c
    on_thread("inverted", [&] {
        std::lock_guard lc(c);
        std::lock_guard la(a);  // c -> a against a -> c
    });
    CHECK(lockdep_reports().size() == 1);
}

TEST_CASE("a failed trylock leaves the held set", "[locking][lockdep]")
{
    auto on = lockdep_on();
    HookedMutex a("test.lockdep.tryfail.a"), b("test.lockdep.tryfail.b");
    a.lock();
    std::thread([&] {
        REQUIRE_FALSE(a.try_lock());
        std::lock_guard lb(b);  // a is not held here: no a -> b
    }).join();
    a.unlock();
    CHECK(lockdep_edge_count() == 0);
}

TEST_CASE("one inversion repeated is reported once", "[locking][lockdep]")
{
    auto on = lockdep_on();
    HookedMutex a("test.lockdep.once.a"), b("test.lockdep.once.b");
    for (int i = 0; i < 3; ++i) {
        on_thread("ab", [&] {
            std::scoped_lock<HookedMutex> la(a);
            std::lock_guard lb(b);
        });
        on_thread("ba", [&] {
            std::scoped_lock<HookedMutex> lb(b);
            std::lock_guard la(a);
        });
    }
    CHECK(lockdep_reports().size() == 1);
    CHECK(lockdep_edge_count() == 2);
}

TEST_CASE("nothing is learnt while lockdep is off", "[locking][lockdep]")
{
    lockdep_reset();
    REQUIRE(lockdep_mode() == LockdepMode::Off);
    HookedMutex a("test.lockdep.off.a"), b("test.lockdep.off.b");
    {
        std::scoped_lock<HookedMutex> la(a);
        std::lock_guard lb(b);
    }
    CHECK(lockdep_edge_count() == 0);
}

TEST_CASE("abort mode reports the cycle and aborts the process", "[locking][lockdep]")
{
    int pipe_fds[2];
    REQUIRE(pipe(pipe_fds) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        dup2(pipe_fds[1], STDERR_FILENO);
        std::signal(SIGABRT, SIG_DFL);  // not Catch's handler: the parent checks how the child died
        lockdep_reset();
        lockdep_enable(LockdepMode::Abort);
        HookedMutex a("test.lockdep.abort.a"), b("test.lockdep.abort.b");
        {
            std::scoped_lock<HookedMutex> la(a);
            std::lock_guard lb(b);
        }
        std::scoped_lock<HookedMutex> lb(b);
        std::lock_guard la(a);
        _exit(0);  // not reached if lockdep aborted
    }
    close(pipe_fds[1]);
    std::string err;
    char buf[512];
    for (ssize_t n; (n = read(pipe_fds[0], buf, sizeof buf)) > 0;) err.append(buf, size_t(n));
    close(pipe_fds[0]);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGABRT);
    CHECK_THAT(err, Catch::Contains("possible deadlock") && Catch::Contains("test.lockdep.abort.a") &&
                        Catch::Contains("aborting"));
}
