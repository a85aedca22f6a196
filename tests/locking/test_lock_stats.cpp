// Lock statistics: per-class counts and wait/hold histograms, collected per thread and merged.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <pthread.h>
#include <stdexcept>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "locking/instrumented_lock.h"
#include "locking/lock_stats.h"
#include "hooked_mutex.h"

using namespace locklab;
using locklab::test::HookedMutex;
using locklab::test::InstrumentationOn;

namespace {

// This class's merged statistics (zeroes if it saw no activity).
LockClassStats stats_of(const LockClass& c)
{
    for (auto& s : lockstats_snapshot())
        if (s.class_id == c.id()) return s;
    return {};
}

uint64_t histogram_total(const LatencyHistogram& h)
{
    uint64_t n = 0;
    for (auto&& bin : boost::histogram::indexed(h)) n += *bin;
    return n;
}

InstrumentationOn stats_on()
{
    lockstats_reset();
    return InstrumentationOn(lockstats_enable);
}

}  // namespace

TEST_CASE("a latency bucket holds the values between its bounds and buckets grow by quarter octaves",
          "[locking][lockstats]")
{
    const LogNsAxis axis;
    CHECK(axis.index(0) == 0);
    for (uint64_t v : std::initializer_list<uint64_t>{1, 2, 3, 7, 100, 1000, 123456789, uint64_t(1) << 40, UINT64_MAX}) {
        const int i = axis.index(v);
        INFO("value " << v << " bucket " << i);
        REQUIRE(i > 0);
        REQUIRE(i < axis.size());
        CHECK(axis.value(i) <= double(v));
        CHECK(double(v) < axis.value(i + 1) * (1 + 1e-12));
    }
    // Above 4 ns every bucket spans a quarter of its octave.
    CHECK(axis.value(axis.index(1024) + 1) == 1280);
    CHECK(axis.index(1279) == axis.index(1024));
    CHECK(axis.index(1280) == axis.index(1024) + 1);
}

TEST_CASE("a quantile is the upper bound of its bucket capped at the maximum", "[locking][lockstats]")
{
    LatencyStats l;
    for (int i = 0; i < 99; ++i) l.record(100);
    l.record(1'000'000);
    CHECK(l.quantile(0.5) == 111);   // bucket [96, 112): largest whole value 111
    CHECK(l.quantile(0.99) == 111);
    CHECK(l.quantile(1.0) == 1'000'000);
    CHECK(l.max_ns == 1'000'000);
    CHECK(l.total_ns == 99 * 100 + 1'000'000);
    CHECK(LatencyStats{}.quantile(0.5) == 0);
}

TEST_CASE("the lock clock runs at the rate of steady_clock and never goes back", "[locking][lockstats]")
{
    using namespace std::chrono;
    auto steady = [] { return uint64_t(duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count()); };
    const uint64_t t0 = lockstat_now_ns(), s0 = steady();
    uint64_t last = t0;
    bool monotonic = true;
    for (int i = 0; i < 100000; ++i) {
        const uint64_t t = lockstat_now_ns();
        monotonic = monotonic && t >= last;
        last = t;
    }
    CHECK(monotonic);
    std::this_thread::sleep_for(milliseconds(50));
    const uint64_t dt = lockstat_now_ns() - t0, ds = steady() - s0;
    // Within 1% plus 2 ms (this thread may be preempted between reading the two clocks).
    CHECK(double(dt) == Approx(double(ds)).margin(0.01 * double(ds) + 2e6));
}

TEST_CASE("lock clock ticks, converted, measure what lockstat_now_ns measures", "[locking][lockstats]")
{
    using namespace std::chrono;
    const uint64_t n0 = lockstat_now_ns(), t0 = lockstat_now_ticks();
    std::this_thread::sleep_for(milliseconds(30));
    const uint64_t t1 = lockstat_now_ticks(), n1 = lockstat_now_ns();
    const uint64_t converted = lockstat_ticks_to_ns(t1 - t0), measured = n1 - n0;
    CHECK(converted <= measured);  // the ticks were read inside the ns interval
    CHECK(double(converted) == Approx(double(measured)).epsilon(0.01));
    CHECK(lockstat_ticks_to_ns(0) == 0);
}

TEST_CASE("statistics from several threads merge into exact per-class counts and histograms",
          "[locking][lockstats]")
{
    auto on = stats_on();
    LockClass& c = LockClass::get("test.stats.merge");
    const auto site = std::source_location::current();
    constexpr int kThreads = 4, kPerThread = 1000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                const bool contended = i % 4 == 0;
                lockstat_acquired(c, contended ? 1000 * (t + 1) : 0, contended, site);
                lockstat_released(c, 200);
                if (i % 10 == 0) lockstat_try_failed(c);
            }
        });
    for (auto& th : threads) th.join();

    const LockClassStats s = stats_of(c);
    CHECK(s.name == "test.stats.merge");
    CHECK(s.acquisitions == kThreads * kPerThread);
    CHECK(s.contended == kThreads * kPerThread / 4);
    CHECK(s.contended_percent() == Approx(25.0));
    CHECK(s.try_failed == kThreads * kPerThread / 10);
    CHECK(s.wait.total_ns == 250 * 1000 * (1 + 2 + 3 + 4));
    CHECK(s.wait.max_ns == 4000);
    CHECK(s.hold.total_ns == 200ull * kThreads * kPerThread);
    CHECK(histogram_total(s.wait.histogram) == kThreads * kPerThread);
    CHECK(histogram_total(s.hold.histogram) == kThreads * kPerThread);
    // Three quarters waited 0 ns; each thread's contended waits landed in its own bucket.
    CHECK(s.wait.histogram.at(0) == 3 * kThreads * kPerThread / 4);
    for (int t = 1; t <= kThreads; ++t) CHECK(s.wait.histogram.at(LogNsAxis{}.index(1000 * t)) == 250);
    CHECK(s.hold.histogram.at(LogNsAxis{}.index(200)) == kThreads * kPerThread);
    CHECK(s.wait.quantile(0.5) == 0);
    CHECK(s.hold.quantile(0.99) == 200);  // capped by the exact maximum
}

TEST_CASE("statistics of threads that have exited are kept", "[locking][lockstats]")
{
    auto on = stats_on();
    LockClass& c = LockClass::get("test.stats.exited");
    for (int t = 0; t < 20; ++t)
        std::thread([&] {
            for (int i = 0; i < 10; ++i) lockstat_acquired(c, 5, false, std::source_location::current());
        }).join();
    CHECK(stats_of(c).acquisitions == 200);
}

TEST_CASE("a contended mutex shows up as contended acquisitions with their waits", "[locking][lockstats]")
{
    auto on = stats_on();
    HookedMutex m("test.stats.mutex");
    constexpr int kThreads = 4, kPerThread = 2000;
    std::vector<std::thread> threads;
    std::atomic<int> started{0};
    {
        // Held until every thread has started and then some: whoever arrives first must wait (on a
        // loaded host threads can take longer than any fixed sleep to start, hence the count).
        std::lock_guard hold(m);
        for (int t = 0; t < kThreads; ++t)
            threads.emplace_back([&] {
                started.fetch_add(1);
                for (int i = 0; i < kPerThread; ++i) {
                    std::lock_guard lock(m);
                }
            });
        while (started.load() < kThreads) std::this_thread::yield();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (auto& th : threads) th.join();

    const LockClassStats s = stats_of(m.lock_class());
    CHECK(s.acquisitions == kThreads * kPerThread + 1);
    CHECK(s.contended >= 1);
    CHECK(s.contended <= s.acquisitions);
    CHECK(s.hold.max_ns >= 20'000'000);  // the main thread's sleep
    CHECK(histogram_total(s.wait.histogram) == s.acquisitions);
    CHECK(histogram_total(s.hold.histogram) == s.acquisitions);
}

TEST_CASE("nothing is counted while statistics are off", "[locking][lockstats]")
{
    lockstats_reset();
    REQUIRE_FALSE(lockstats_enabled());
    HookedMutex m("test.stats.off");
    m.lock();
    m.unlock();
    CHECK(m.try_lock());
    m.unlock();
    CHECK(stats_of(m.lock_class()).acquisitions == 0);
    CHECK(lockstats_snapshot().empty());
}

TEST_CASE("a failed trylock is counted as such and not as an acquisition", "[locking][lockstats]")
{
    auto on = stats_on();
    HookedMutex m("test.stats.trylock");
    m.lock();
    std::thread([&] { CHECK_FALSE(m.try_lock()); }).join();
    m.unlock();
    const LockClassStats s = stats_of(m.lock_class());
    CHECK(s.acquisitions == 1);
    CHECK(s.try_failed == 1);
}

TEST_CASE("the report table and JSON carry every class's counts and distributions", "[locking][lockstats]")
{
    auto on = stats_on();
    LockClass& c = LockClass::get("test.stats.report");
    for (uint64_t ns : std::initializer_list<uint64_t>{100, 200, 300, 40'000}) {
        lockstat_acquired(c, ns, ns > 1000, std::source_location::current());
        lockstat_released(c, 2 * ns);
    }
    const auto snapshot = lockstats_snapshot();

    const std::string table = lockstats_table(snapshot);
    CHECK_THAT(table, Catch::Contains("class") && Catch::Contains("cont%") && Catch::Contains("wait99") &&
                          Catch::Contains("holdmax") && Catch::Contains("waittotal"));
    CHECK_THAT(table, Catch::Contains("test.stats.report") && Catch::Contains("25.00") &&
                          Catch::Contains("40.6us"));  // total wait 40600 ns

    const nlohmann::json j = lockstats_json(snapshot);
    CHECK(j["unit"] == "ns");
    REQUIRE(j["classes"].size() == 1);
    const auto& k = j["classes"][0];
    CHECK(k["name"] == "test.stats.report");
    CHECK(k["acquisitions"] == 4);
    CHECK(k["contended"] == 1);
    CHECK(k["wait"]["count"] == 4);
    CHECK(k["wait"]["total"] == 40'600);
    CHECK(k["wait"]["max"] == 40'000);
    CHECK(k["hold"]["max"] == 80'000);
    uint64_t bucket_sum = 0;
    for (const auto& b : k["hold"]["buckets"]) {
        CHECK(b["lo"].get<double>() < b["hi"].get<double>());
        bucket_sum += b["count"].get<uint64_t>();
    }
    CHECK(bucket_sum == 4);

    const auto path = std::filesystem::temp_directory_path() / "locklab_test_lockstats.json";
    lockstats_write_json(snapshot, path.string());
    std::ifstream f(path);
    CHECK(nlohmann::json::parse(f) == j);
    std::filesystem::remove(path);
}

TEST_CASE("contention points say which thread waited where, merged over threads of one name",
          "[locking][lockstats]")
{
    auto on = stats_on();
    LockClass& c = LockClass::get("test.stats.points");
    const std::source_location at_a = std::source_location::current();
    const std::source_location at_b = std::source_location::current();
    // Runs `body` on a thread named `name` (the name a contention point reports).
    auto on_thread = [](const char* name, const std::function<void()>& body) {
        std::thread([&] {
            pthread_setname_np(pthread_self(), name);
            body();
        }).join();
    };
    on_thread("cp-alpha", [&] {
        for (uint64_t ns : {1000, 2000, 3000}) lockstat_acquired(c, ns, true, at_a);
        lockstat_acquired(c, 0, false, at_a);  // uncontended: no contention point
        lockstat_acquired(c, 500, true, at_b);
    });
    on_thread("cp-beta", [&] {
        for (int i = 0; i < 2; ++i) lockstat_acquired(c, 10'000, true, at_a);
    });
    for (int i = 0; i < 2; ++i)  // two threads, one name: one point
        on_thread("cp-gamma", [&] { lockstat_acquired(c, 7, true, at_b); });

    const auto snapshot = lockstats_snapshot();
    REQUIRE(snapshot.size() == 1);
    const LockClassStats& s = snapshot[0];
    CHECK(s.contended == 3 + 1 + 2 + 2);
    auto site = [](const std::source_location& l) {
        return std::string("tests/locking/test_lock_stats.cpp:") + std::to_string(l.line());
    };
    REQUIRE(s.points.size() == 4);
    // Busiest first; the file relative to the source tree.
    CHECK(s.points[0].thread == "cp-beta");
    CHECK(s.points[0].site == site(at_a));
    CHECK(s.points[0].contended == 2);
    CHECK(s.points[0].wait_total_ns == 20'000);
    CHECK(s.points[1].thread == "cp-alpha");
    CHECK(s.points[1].site == site(at_a));
    CHECK(s.points[1].contended == 3);
    CHECK(s.points[1].wait_total_ns == 6000);
    CHECK(s.points[1].wait_max_ns == 3000);
    CHECK(s.points[2].thread == "cp-alpha");
    CHECK(s.points[2].site == site(at_b));
    CHECK(s.points[2].contended == 1);
    CHECK(s.points[3].thread == "cp-gamma");
    CHECK(s.points[3].contended == 2);
    CHECK(s.points[3].wait_total_ns == 14);

    const std::string table = lockstats_table(snapshot);
    CHECK_THAT(table, Catch::Contains("contention points") && Catch::Contains("cp-beta") &&
                          Catch::Contains(site(at_a)));
    const nlohmann::json j = lockstats_json(snapshot);
    REQUIRE(j["classes"][0]["contention_points"].size() == 4);
    CHECK(j["classes"][0]["contention_points"][0]["thread"] == "cp-beta");
    CHECK(j["classes"][0]["contention_points"][0]["wait_total"] == 20'000);
}

TEST_CASE("a thread waiting at more places than its block keeps counts the rest as (other)", "[locking][lockstats]")
{
    auto on = stats_on();
    LockClass& c = LockClass::get("test.stats.points.many");
    // 17 places, one line each: one more than a block keeps per class.
#define LOCKLAB_WAIT_HERE() lockstat_acquired(c, 100, true, std::source_location::current())
    std::thread([&] {
        pthread_setname_np(pthread_self(), "cp-many");
        LOCKLAB_WAIT_HERE();
        LOCKLAB_WAIT_HERE();
        LOCKLAB_WAIT_HERE();
        LOCKLAB_WAIT_HERE();
        LOCKLAB_WAIT_HERE();
        LOCKLAB_WAIT_HERE();
        LOCKLAB_WAIT_HERE();
        LOCKLAB_WAIT_HERE();
        LOCKLAB_WAIT_HERE();
        LOCKLAB_WAIT_HERE();
        LOCKLAB_WAIT_HERE();
        LOCKLAB_WAIT_HERE();
        LOCKLAB_WAIT_HERE();
        LOCKLAB_WAIT_HERE();
        LOCKLAB_WAIT_HERE();
        LOCKLAB_WAIT_HERE();
        LOCKLAB_WAIT_HERE();
    }).join();
#undef LOCKLAB_WAIT_HERE
    const auto snapshot = lockstats_snapshot();
    REQUIRE(snapshot.size() == 1);
    const auto& points = snapshot[0].points;
    uint64_t counted = 0, other = 0;
    for (const auto& p : points) {
        counted += p.contended;
        if (p.site == "(other)") other += p.contended;
        else CHECK(p.thread == "cp-many");
    }
    CHECK(points.size() == 17);  // a new class: all 16 of the block's slots were free
    CHECK(counted == 17);        // nothing lost
    CHECK(other == 1);
}

TEST_CASE("writing statistics to an unwritable path is a clear error", "[locking][lockstats]")
{
    CHECK_THROWS_WITH(lockstats_write_json({}, "/nonexistent-dir/stats.json"),
                      Catch::Contains("cannot write lock statistics to /nonexistent-dir/stats.json"));
}

TEST_CASE("with a hold sample period of N, 1 in N holds is timed, and counts and contended waits stay exact",
          "[locking][lockstats]")
{
    auto on = stats_on();
    struct PeriodBack {
        ~PeriodBack() { set_lock_hold_sample_period(1); }
    } back;
    CHECK_THROWS_AS(set_lock_hold_sample_period(0), std::invalid_argument);
    set_lock_hold_sample_period(4);
    InstrumentedLock lock("test.stats.sampled", LockImplKind::Mutex);
    const auto site = std::source_location::current();
    std::thread([&] {  // a fresh thread: its countdown starts at its first acquisition
        for (int i = 0; i < 12; ++i) {
            lock.lock(site);
            lock.unlock();
        }
    }).join();
    LockClassStats s = stats_of(LockClass::get("test.stats.sampled"));
    CHECK(s.acquisitions == 12);
    CHECK(histogram_total(s.wait.histogram) == 12);  // uncontended: waited 0, all counted
    CHECK(histogram_total(s.hold.histogram) == 3);   // acquisitions 1, 5 and 9

    // A contended acquisition's wait is timed whether or not its hold is sampled.
    std::atomic<bool> waiting{false};
    lock.lock(site);
    std::thread waiter([&] {
        waiting = true;
        lock.lock(site);
        lock.unlock();
    });
    while (!waiting) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    lock.unlock();
    waiter.join();
    s = stats_of(LockClass::get("test.stats.sampled"));
    CHECK(s.contended == 1);
    CHECK(s.wait.max_ns >= 10'000'000);
    CHECK(lockstats_json(lockstats_snapshot())["hold_sample_period"] == 4);
    CHECK_THAT(lockstats_table(lockstats_snapshot()), Catch::Contains("1 in 4 acquisitions"));
}
