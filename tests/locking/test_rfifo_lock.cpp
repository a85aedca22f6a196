#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "locking/rfifo_lock.h"
#include "loop/test_util.h"  // tests/loop/test_util.h: eventually()

using namespace locklab;
using namespace std::chrono_literals;

using test::eventually;

TEST_CASE("The RFifoLock owner may lock recursively and keeps it until the last unlock", "[locking][rfifo]")
{
    RFifoLock lock;
    lock.lock();
    lock.lock();
    CHECK(lock.try_lock());
    CHECK(lock.depth() == 3);
    CHECK(lock.held_by_me());

    bool other_got_it = true;
    auto try_other = [&] {
        std::thread t([&] {
            other_got_it = lock.try_lock();
            if (other_got_it) lock.unlock();
        });
        t.join();
    };
    lock.unlock();
    lock.unlock();
    try_other();
    CHECK_FALSE(other_got_it);  // depth 1: still ours
    lock.unlock();
    CHECK(lock.depth() == 0);
    CHECK_FALSE(lock.held_by_me());
    try_other();
    CHECK(other_got_it);
}

TEST_CASE("Unlocking an RFifoLock the caller does not own is an error", "[locking][rfifo]")
{
    RFifoLock lock;
    CHECK_THROWS_AS(lock.unlock(), std::logic_error);
    lock.lock();
    bool threw = false;
    std::thread t([&] {
        try {
            lock.unlock();
        } catch (const std::logic_error&) {
            threw = true;
        }
    });
    t.join();
    CHECK(threw);
    CHECK(lock.held_by_me());
    lock.unlock();
}

TEST_CASE("RFifoLock hands the lock to many waiters in the order they queued", "[locking][rfifo]")
{
    constexpr unsigned kWaiters = 16;
    RFifoLock lock;
    std::vector<unsigned> order;  // protected by `lock` itself
    std::vector<std::thread> threads;
    lock.lock();
    for (unsigned i = 0; i < kWaiters; ++i) {
        threads.emplace_back([&, i] {
            lock.lock();
            order.push_back(i);
            lock.lock();  // recursion inside a hand-over keeps the lock
            lock.unlock();
            lock.unlock();
        });
        REQUIRE(eventually([&] { return lock.waiters() == i + 1; }));  // waiter i is queued
    }
    lock.unlock();
    for (auto& t : threads) t.join();
    std::vector<unsigned> expected(kWaiters);
    for (unsigned i = 0; i < kWaiters; ++i) expected[i] = i;
    CHECK(order == expected);
}

TEST_CASE("An RFifoLock owner that re-locks at once queues behind existing waiters", "[locking][rfifo]")
{
    RFifoLock lock;
    std::vector<char> order;  // protected by `lock`
    lock.lock();
    std::thread waiter([&] {
        lock.lock();
        order.push_back('W');
        lock.unlock();
    });
    REQUIRE(eventually([&] { return lock.waiters() == 1; }));
    lock.unlock();
    lock.lock();  // no barging: the waiter had asked first
    order.push_back('O');
    lock.unlock();
    waiter.join();
    CHECK(order == std::vector<char>{'W', 'O'});
}

TEST_CASE("RFifoLock calls the contention callback for each waiter and on hand-over to waiting threads",
          "[locking][rfifo]")
{
    std::atomic<int> pokes{0};
    RFifoLock lock([&] { ++pokes; });
    lock.lock();
    CHECK(lock.try_lock());  // recursion is not contention
    lock.unlock();
    CHECK(pokes == 0);

    std::vector<std::thread> waiters;
    for (int i = 0; i < 2; ++i) {
        waiters.emplace_back([&] {
            lock.lock();
            lock.unlock();
        });
        REQUIRE(eventually([&] { return lock.waiters() == unsigned(i + 1); }));
    }
    CHECK(pokes == 2);  // one per waiter as it queued
    lock.unlock();      // hands to waiter 0 while waiter 1 still waits: poke the new owner
    for (auto& t : waiters) t.join();
    CHECK(pokes == 3);
    CHECK(lock.try_lock());
    lock.unlock();
}

TEST_CASE("RFifoLock gives mutual exclusion under contention", "[locking][rfifo][stress]")
{
    constexpr int kThreads = 4;
    constexpr int kRounds = 2000;
    RFifoLock lock;
    long shared = 0;  // protected by `lock`
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i)
        threads.emplace_back([&] {
            for (int r = 0; r < kRounds; ++r) {
                std::lock_guard g(lock);
                ++shared;
            }
        });
    for (auto& t : threads) t.join();
    CHECK(shared == long(kThreads) * kRounds);
}
