// Lock implementations (locking/lock_impl.h) behind InstrumentedLock (locking/instrumented_lock.h):
// mutual exclusion for each one, FIFO hand-over for the queue locks, the not-recursive rule, the
// instrumentation hooks, and set_lock_impl for the BQL.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "blocked_call.h"
#include "locking/bql.h"
#include "locking/instrumented_lock.h"
#include "locking/lock_stats.h"
#include "locking/lockdep.h"

using namespace locklab;
using namespace locklab::test;

namespace {

std::string class_for(const char* test, LockImplKind k)
{
    return std::string("test.impl.") + test + "." + std::string(lock_impl_name(k));
}

}  // namespace

TEST_CASE("Lock implementations are named mutex queuing spin rfifo handoff and adaptive and unknown names are refused",
          "[locking][lock_impl]")
{
    const auto names = lock_impl_names();
    REQUIRE(names.size() == 6);
    for (std::string_view n : names) {
        auto k = parse_lock_impl(n);
        REQUIRE(k);
        CHECK(lock_impl_name(*k) == n);
        InstrumentedLock l("test.impl.named", *k);
        CHECK(l.impl() == *k);
    }
    CHECK(parse_lock_impl("mutex") == LockImplKind::Mutex);
    CHECK(parse_lock_impl("queuing") == LockImplKind::Queuing);
    CHECK(parse_lock_impl("handoff") == LockImplKind::Handoff);
    CHECK(parse_lock_impl("adaptive") == LockImplKind::Adaptive);
    CHECK_FALSE(parse_lock_impl("ticket"));
    CHECK_FALSE(parse_lock_impl(""));
}

TEST_CASE("Every lock implementation excludes other threads from the critical section", "[locking][lock_impl]")
{
    constexpr int kThreads = 4, kRounds = 5000;
    for (std::string_view name : lock_impl_names()) {
        const LockImplKind k = *parse_lock_impl(name);
        INFO("lock implementation " << name);
        InstrumentedLock l(class_for("exclusion", k), k);
        uint64_t counter = 0;        // protected by l
        std::atomic<int> inside{0};  // threads in the critical section at once
        std::atomic<int> overlaps{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t)
            threads.emplace_back([&] {
                for (int i = 0; i < kRounds; ++i) {
                    l.lock();
                    if (inside.fetch_add(1) != 0) overlaps.fetch_add(1);
                    ++counter;
                    inside.fetch_sub(1);
                    l.unlock();
                }
            });
        for (auto& t : threads) t.join();
        CHECK(overlaps.load() == 0);
        CHECK(counter == uint64_t(kThreads) * kRounds);
    }
}

TEST_CASE("try_lock fails while another thread holds the lock and succeeds once it is free",
          "[locking][lock_impl]")
{
    for (std::string_view name : lock_impl_names()) {
        const LockImplKind k = *parse_lock_impl(name);
        INFO("lock implementation " << name);
        InstrumentedLock l(class_for("try", k), k);
        l.lock();
        CHECK(l.held_by_me());
        bool got = true, held_there = true;
        std::thread([&] {
            got = l.try_lock();
            held_there = l.held_by_me();
        }).join();
        CHECK_FALSE(got);
        CHECK_FALSE(held_there);
        l.unlock();
        CHECK_FALSE(l.held_by_me());
        std::thread([&] {
            got = l.try_lock();
            if (got) l.unlock();
        }).join();
        CHECK(got);
    }
}

TEST_CASE("A blocked lock call returns only once the holder releases", "[locking][lock_impl]")
{
    for (std::string_view name : lock_impl_names()) {
        const LockImplKind k = *parse_lock_impl(name);
        INFO("lock implementation " << name);
        InstrumentedLock l(class_for("blocked", k), k);
        l.lock();
        BlockedCall other([&] {
            l.lock();
            l.unlock();
        });
        CHECK_FALSE(other.returned_within(std::chrono::milliseconds(50)));
        l.unlock();
        CHECK(other.returned_within(std::chrono::seconds(10)));
    }
}

TEST_CASE("No lock implementation is recursive and only the holder may unlock", "[locking][lock_impl]")
{
    for (std::string_view name : lock_impl_names()) {
        const LockImplKind k = *parse_lock_impl(name);
        INFO("lock implementation " << name);
        InstrumentedLock l(class_for("recursion", k), k);
        CHECK_THROWS_AS(l.unlock(), std::logic_error);  // nobody holds it
        l.lock();
        CHECK_THROWS_AS(l.lock(), std::logic_error);
        CHECK_THROWS_AS(l.try_lock(), std::logic_error);
        bool threw = false;
        std::thread([&] {
            try {
                l.unlock();
            } catch (const std::logic_error&) {
                threw = true;
            }
        }).join();
        CHECK(threw);
        CHECK(l.held_by_me());  // the failed calls changed nothing
        l.unlock();
    }
}

TEST_CASE("The queuing and recursive FIFO locks hand over to waiters in arrival order", "[locking][lock_impl]")
{
    constexpr int kWaiters = 4;
    for (LockImplKind k : {LockImplKind::Queuing, LockImplKind::RFifo}) {
        INFO("lock implementation " << lock_impl_name(k));
        InstrumentedLock l(class_for("fifo", k), k);
        std::vector<int> order;  // protected by l
        std::atomic<int> arrived{0};
        std::vector<std::thread> waiters;
        l.lock();
        for (int i = 0; i < kWaiters; ++i) {
            waiters.emplace_back([&, i] {
                arrived.fetch_add(1);
                l.lock();
                order.push_back(i);
                l.unlock();
            });
            // Waiter i has said it is about to queue; give it ample time to get into the queue
            // before the next one starts (neither lock says how many wait).
            while (arrived.load() <= i) std::this_thread::yield();
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        l.unlock();
        for (auto& t : waiters) t.join();
        CHECK(order == std::vector<int>{0, 1, 2, 3});
    }
}

TEST_CASE("An instrumented lock reports acquisitions contention and failed trylocks under its class",
          "[locking][lock_impl]")
{
    for (std::string_view name : lock_impl_names()) {
        const LockImplKind k = *parse_lock_impl(name);
        INFO("lock implementation " << name);
        const std::string cls = class_for("stats", k);
        InstrumentedLock l(cls, k);
        lockstats_reset();
        lockstats_enable(true);
        l.lock();
        l.unlock();
        l.lock();
        std::atomic<bool> about_to_wait{false};
        BlockedCall waiter([&] {
            about_to_wait.store(true);
            l.lock();
            l.unlock();
        });
        std::thread([&] { CHECK_FALSE(l.try_lock()); }).join();
        while (!about_to_wait.load()) std::this_thread::yield();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the waiter blocks meanwhile
        l.unlock();
        waiter.finish();
        lockstats_enable(false);
        const LockClassStats* s = nullptr;
        const auto snapshot = lockstats_snapshot();
        for (const auto& c : snapshot)
            if (c.name == cls) s = &c;
        REQUIRE(s);
        CHECK(s->acquisitions == 3);
        CHECK(s->contended == 1);
        CHECK(s->try_failed == 1);
        CHECK(s->wait.max_ns >= 10'000'000);  // the waiter waited about 50 ms
        CHECK(s->hold.max_ns >= 10'000'000);
        lockstats_reset();
    }
}

TEST_CASE("An instrumented lock tells lockdep its class and the caller's site", "[locking][lock_impl]")
{
    InstrumentedLock a("test.impl.site.a"), b("test.impl.site.b");
    lockdep_reset();
    lockdep_enable(LockdepMode::Warn);
    a.lock();
    b.lock();
    b.unlock();
    a.unlock();
    b.lock();
    const unsigned inverted_line = __LINE__ + 1;
    a.lock();  // closes the cycle a -> b -> a
    a.unlock();
    b.unlock();
    lockdep_enable(LockdepMode::Off);
    const auto reports = lockdep_reports();
    lockdep_reset();
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].new_order.from == "test.impl.site.b");
    CHECK(reports[0].new_order.to == "test.impl.site.a");
    CHECK(reports[0].new_order.to_site.line() == inverted_line);
    CHECK(std::string(reports[0].new_order.to_site.file_name()).find("test_lock_impl.cpp") != std::string::npos);
}

TEST_CASE("set_lock_impl rebuilds the BQL on the chosen implementation but not while it is held",
          "[locking][lock_impl][bql]")
{
    CHECK(current_lock_impl() == LockImplKind::Mutex);  // the default
    for (std::string_view name : lock_impl_names()) {
        const LockImplKind k = *parse_lock_impl(name);
        INFO("lock implementation " << name);
        set_lock_impl(k);
        CHECK(current_lock_impl() == k);
        CHECK(bql_instance().impl() == k);
        CHECK(InstrumentedLock("test.impl.default").impl() == k);  // new locks follow
        bql_lock();
        CHECK(bql_locked());
        CHECK_THROWS_AS(set_lock_impl(LockImplKind::Mutex), std::logic_error);
        bql_unlock();
    }
    set_lock_impl(LockImplKind::Mutex);
    CHECK(bql_instance().impl() == LockImplKind::Mutex);
}
