// HandoffLock (locking/lock_impl_handoff.h): what it does that std::mutex does not. A waiter past the
// bound gets the lock handed to it (counted, and provable without timing: the releasing thread cannot
// take it back, try_lock fails meanwhile); below the bound it barges and never hands over; unlock
// wakes one waiter at most and none when nobody waits; no waiter is lost when unlock races with a
// waiter going to sleep. Mutual exclusion and the InstrumentedLock contract: test_lock_impl.cpp.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "blocked_call.h"
#include "locking/lock_impl_handoff.h"
#include "loop/test_util.h"  // tests/loop/test_util.h: eventually()

using namespace locklab;
using namespace locklab::test;
using namespace std::chrono_literals;

namespace {

constexpr std::chrono::nanoseconds kNoHandoff = std::chrono::hours(1);  // no waiter waits that long here
constexpr std::chrono::nanoseconds kNeverWithdraw = std::chrono::hours(1);  // a waiter that asks spins until served

// A thread that takes `lock`, says so, and holds it until told to let go.
class Holder {
public:
    explicit Holder(HandoffLock& lock)
        : call_([this, &lock] {
              lock.lock();
              got_.store(true);
              while (!release_.load()) std::this_thread::yield();
              lock.unlock();
          })
    {
    }
    ~Holder() { release(); }
    bool got() const { return got_.load(); }
    bool got_within(std::chrono::milliseconds grace) const { return eventually([&] { return got(); }, grace); }
    void let_go() { release_.store(true); }  // unlock once it has the lock (at once, if it gets it later)
    void release()                           // let_go() and wait for the unlock
    {
        let_go();
        call_.finish();
    }

private:
    std::atomic<bool> got_{false}, release_{false};  // atomic: shared with the holding thread
    BlockedCall call_;
};

bool try_lock_elsewhere(HandoffLock& lock)
{
    bool got = false;
    std::thread([&] {
        got = lock.try_lock();
        if (got) lock.unlock();
    }).join();
    return got;
}

}  // namespace

TEST_CASE("A HandoffLock passes the lock to a starving waiter: the releasing thread cannot take it back",
          "[locking][lock_impl][handoff]")
{
    HandoffLock lock(0ns, kNeverWithdraw);  // bound 0: every queued waiter is starving
    lock.lock();
    Holder waiter(lock);
    // The waiter queues behind us and, being the head and past the bound, asks for the hand-over.
    REQUIRE(eventually([&] { return lock.handoff_pending(); }));
    CHECK_FALSE(lock.try_lock());  // held by us
    CHECK_FALSE(try_lock_elsewhere(lock));
    CHECK(lock.handoffs() == 0);

    lock.unlock();  // hands over: the lock stays held, now by the waiter, whether or not it has run yet
    CHECK(lock.handoffs() == 1);
    CHECK_FALSE(lock.try_lock());  // we barge at once, and lose
    CHECK_FALSE(try_lock_elsewhere(lock));
    BlockedCall relock([&] {
        lock.lock();  // queues behind the new owner
        lock.unlock();
    });
    CHECK(waiter.got_within(10s));
    CHECK_FALSE(relock.done());  // the waiter holds it until released
    waiter.release();
    CHECK(relock.returned_within(10s));
    CHECK(lock.try_lock());
    lock.unlock();
}

TEST_CASE("A starving HandoffLock waiter gets the lock from a thread that keeps relocking",
          "[locking][lock_impl][handoff]")
{
    HandoffLock lock(0ns, kNeverWithdraw);
    std::atomic<bool> holding{false}, waiter_done{false};
    std::atomic<uint64_t> rounds{0};     // the barger's relocks
    uint64_t rounds_seen = ~uint64_t(0);  // protected by lock: rounds when the waiter got the lock
    std::thread barger([&] {  // relocks at once after every unlock, as the hammering vCPUs do
        lock.lock();
        holding.store(true);
        while (!lock.handoff_pending()) std::this_thread::yield();  // the waiter has queued and asked
        while (!waiter_done.load()) {
            lock.unlock();
            lock.lock();
            rounds.fetch_add(1);
        }
        lock.unlock();
    });
    while (!holding.load()) std::this_thread::yield();
    std::thread waiter([&] {
        lock.lock();
        rounds_seen = rounds.load();
        lock.unlock();
        waiter_done.store(true);
    });
    waiter.join();
    barger.join();
    // The barger's first unlock passed the lock on: its relock, a few instructions later, lost to a
    // thread that was asleep. A barging mutex lets the running thread win that race.
    CHECK(rounds_seen == 0);
    CHECK(lock.handoffs() >= 1);
    CHECK(lock.waiters() == 0);
}

TEST_CASE("A HandoffLock waiter whose hand-over does not come withdraws and the lock is released as usual",
          "[locking][lock_impl][handoff]")
{
    HandoffLock lock(0ns, 0ns);  // asks at once, and gives up at once
    lock.lock();
    Holder waiter(lock);
    REQUIRE(eventually([&] { return lock.withdrawals() >= 1; }));
    CHECK_FALSE(lock.handoff_pending());  // withdrawn, and the waiter sleeps until an unlock wakes it
    CHECK(lock.waiters() == 1);
    lock.unlock();  // a plain release that wakes the waiter
    CHECK(waiter.got_within(10s));
    CHECK(lock.handoffs() == 0);
    waiter.release();
}

TEST_CASE("Below the bound a HandoffLock barges and never hands over", "[locking][lock_impl][handoff]")
{
    constexpr int kThreads = 4, kRounds = 20000;
    HandoffLock lock(kNoHandoff);
    uint64_t counter = 0;  // protected by lock
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < kRounds; ++i) {
                lock.lock();
                ++counter;
                lock.unlock();
            }
        });
    for (auto& t : threads) t.join();
    CHECK(counter == uint64_t(kThreads) * kRounds);
    CHECK(lock.handoffs() == 0);
    CHECK_FALSE(lock.handoff_pending());
}

TEST_CASE("HandoffLock wakes nobody when nobody waits and one waiter per unlock", "[locking][lock_impl][handoff]")
{
    HandoffLock lock(kNoHandoff);
    for (int i = 0; i < 1000; ++i) {
        lock.lock();
        lock.unlock();
        REQUIRE(lock.try_lock());
        lock.unlock();
    }
    CHECK(lock.wakeups() == 0);

    constexpr unsigned kWaiters = 3;
    lock.lock();
    std::vector<std::unique_ptr<Holder>> waiters;
    for (unsigned i = 0; i < kWaiters; ++i) waiters.push_back(std::make_unique<Holder>(lock));
    REQUIRE(eventually([&] { return lock.waiters() == kWaiters; }));  // all queued
    lock.unlock();
    // One waiter woken; the one that takes the lock holds it, so no unlock wakes another meanwhile.
    auto owners = [&] {
        unsigned n = 0;
        for (auto& w : waiters) n += w->got();
        return n;
    };
    REQUIRE(eventually([&] { return owners() == 1; }));
    CHECK(lock.wakeups() == 1);
    CHECK(lock.waiters() == kWaiters - 1);
    for (auto& w : waiters) w->let_go();  // each unlock wakes the next
    for (auto& w : waiters) w->release();
    CHECK(lock.waiters() == 0);
    const uint64_t woken = lock.wakeups();
    CHECK(woken <= kWaiters);
    for (int i = 0; i < 1000; ++i) {  // contention is over: nobody is woken any more
        lock.lock();
        lock.unlock();
    }
    CHECK(lock.wakeups() == woken);
}

TEST_CASE("No HandoffLock waiter is lost when unlock races with it going to sleep", "[locking][lock_impl][handoff]")
{
    // Short critical sections between threads that keep relocking: unlocks land at every point of a
    // waiter's way into the queue and to sleep. A lost wake-up shows as a thread that never returns.
    constexpr int kThreads = 4, kRounds = 20000;
    struct Variant {
        std::chrono::nanoseconds bound, grant_spin;
    };
    for (auto [bound, grant_spin] : {Variant{0ns, kGrantSpin}, Variant{0ns, 0ns}, Variant{20us, kGrantSpin},
                                     Variant{0ns, kNeverWithdraw}, Variant{kNoHandoff, kGrantSpin}}) {
        INFO("bound " << bound.count() << " ns, grant spin " << grant_spin.count() << " ns");
        HandoffLock lock(bound, grant_spin);
        uint64_t counter = 0;       // protected by lock
        std::atomic<int> inside{0};  // threads in the critical section at once
        std::atomic<int> overlaps{0};
        BlockedCall run([&] {
            std::vector<std::thread> threads;
            for (int t = 0; t < kThreads; ++t)
                threads.emplace_back([&, t] {
                    for (int i = 0; i < kRounds; ++i) {
                        if ((i + t) % 3 == 0) {
                            while (!lock.try_lock()) std::this_thread::yield();
                        } else {
                            lock.lock();
                        }
                        if (inside.fetch_add(1) != 0) overlaps.fetch_add(1);
                        ++counter;
                        inside.fetch_sub(1);
                        lock.unlock();
                        if (i % 64 == 0) std::this_thread::yield();
                    }
                });
            for (auto& t : threads) t.join();
        });
        REQUIRE(run.returned_within(std::chrono::minutes(5)));
        CHECK(overlaps.load() == 0);
        CHECK(counter == uint64_t(kThreads) * kRounds);
        CHECK(lock.waiters() == 0);
        CHECK_FALSE(lock.handoff_pending());
        if (bound == kNoHandoff) CHECK(lock.handoffs() == 0);
    }
}

TEST_CASE("HandoffLocks take their bound from set_lock_handoff_bound when made", "[locking][lock_impl][handoff]")
{
    CHECK(lock_handoff_bound() == kDefaultLockHandoffBound);
    CHECK(HandoffLock().bound() == kDefaultLockHandoffBound);
    set_lock_handoff_bound(20us);
    CHECK(HandoffLock().bound() == 20us);
    set_lock_handoff_bound(kDefaultLockHandoffBound);
}
