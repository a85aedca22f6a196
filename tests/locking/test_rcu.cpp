// RCU (locking/rcu.h): read sections, grace periods, deferred callbacks. The same tests run against
// liburcu (debug, ASan builds) and the fallback (TSan build, LOCKLAB_RCU_FALLBACK).
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "../locking/blocked_call.h"
#include "../locking/held_read_section.h"
#include "locking/bql.h"
#include "locking/rcu.h"

using namespace locklab;
using locklab::test::BlockedCall;
using locklab::test::HeldReadSection;

TEST_CASE("A thread is outside any read section until it enters one", "[locking][rcu]")
{
    std::thread([] {
        CHECK_FALSE(rcu_read_locked());
        {
            RcuReadGuard rcu;
            CHECK(rcu_read_locked());
        }
        CHECK_FALSE(rcu_read_locked());
    }).join();
}

TEST_CASE("Read sections nest: a grace period waits for the outermost unlock", "[locking][rcu]")
{
    rcu_read_lock();
    rcu_read_lock();
    rcu_read_unlock();
    CHECK(rcu_read_locked());  // still inside the outer section

    BlockedCall sync([] { rcu_synchronize(); });
    CHECK_FALSE(sync.returned_within());

    rcu_read_unlock();
    CHECK_FALSE(rcu_read_locked());
    sync.finish();
    CHECK(sync.done());
}

TEST_CASE("rcu_synchronize waits for a reader that entered before it", "[locking][rcu]")
{
    HeldReadSection reader;
    BlockedCall sync([] { rcu_synchronize(); });
    CHECK_FALSE(sync.returned_within());
    reader.leave();
    sync.finish();
    CHECK(sync.done());
}

TEST_CASE("rcu_synchronize returns at once when no reader is inside", "[locking][rcu]")
{
    BlockedCall sync([] { rcu_synchronize(); });
    CHECK(sync.returned_within(std::chrono::seconds(5)));
}

TEST_CASE("rcu_call runs its callback only after readers present at the call have left",
          "[locking][rcu]")
{
    std::atomic<bool> ran{false};
    HeldReadSection reader;
    rcu_call([&] { ran.store(true); });

    BlockedCall barrier([] { rcu_barrier(); });
    CHECK_FALSE(barrier.returned_within());
    CHECK_FALSE(ran.load());

    reader.leave();
    barrier.finish();
    CHECK(ran.load());
}

TEST_CASE("rcu_barrier waits for every callback queued before it from every thread",
          "[locking][rcu]")
{
    constexpr int kThreads = 4, kPerThread = 50;
    std::atomic<int> ran{0};
    std::vector<std::thread> queuers;
    for (int t = 0; t < kThreads; ++t)
        queuers.emplace_back([&] {
            for (int i = 0; i < kPerThread; ++i) rcu_call([&] { ran.fetch_add(1); });
        });
    for (auto& q : queuers) q.join();
    rcu_barrier();
    CHECK(ran.load() == kThreads * kPerThread);
}

// A reclaimed object's destructor may itself use RCU (a device whose last reference goes away in a
// FlatView's reclaim callback and that frees its own RCU-protected state). liburcu runs callbacks on
// a thread it registered itself; registering it a second time corrupts liburcu's reader registry.
TEST_CASE("A callback may enter read sections and queue further callbacks", "[locking][rcu]")
{
    std::atomic<bool> inner_ran{false};
    std::atomic<bool> was_inside{false};
    rcu_call([&] {
        {
            RcuReadGuard rcu;
            was_inside.store(rcu_read_locked());
        }
        rcu_call([&] { inner_ran.store(true); });
    });
    rcu_barrier();  // the outer callback has run and queued the inner one
    rcu_barrier();  // the inner one has run
    CHECK(was_inside.load());
    CHECK(inner_ran.load());
}

// QEMU's drain_call_rcu does the same: reclaim callbacks (device finalizers) may need the BQL, and
// a reader may wait for the BQL inside its read section (snapshot-ref MMIO under the global model).
TEST_CASE("rcu_barrier releases the BQL while it waits and holds it again afterwards",
          "[locking][rcu][bql]")
{
    std::atomic<bool> callback_got_bql{false};
    rcu_call([&] {
        BqlLockGuard bql;
        callback_got_bql.store(bql_locked());
    });
    bql_lock();
    rcu_barrier();
    CHECK(bql_locked());
    bql_unlock();
    CHECK(callback_got_bql.load());
}

namespace {

// A published object that poisons itself when freed, so a reader that sees a freed one fails
// even without ASan (with ASan the read is reported as a use-after-free).
struct Versioned {
    static constexpr uint64_t kAlive = 0x600d600d600d600dull;
    explicit Versioned(uint64_t v) : version(v) {}
    ~Versioned() { magic.store(0); }
    std::atomic<uint64_t> magic{kAlive};  // atomic: the reclaimer poisons it, readers check it
    const uint64_t version;
};

}  // namespace

TEST_CASE("Readers never see a reclaimed object while writers swap it and others synchronize",
          "[locking][rcu][stress]")
{
    using namespace std::chrono;
    const auto deadline = steady_clock::now() + milliseconds(700);
    RcuPointer<Versioned> ptr;
    ptr.publish(new Versioned(0));
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> bad_reads{0}, reads{0}, backwards{0};

    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i)
        threads.emplace_back([&] {  // readers
            uint64_t last = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                RcuReadGuard rcu;
                const Versioned* v = ptr.read();
                for (int k = 0; k < 16; ++k)
                    if (v->magic.load(std::memory_order_relaxed) != Versioned::kAlive) bad_reads.fetch_add(1);
                if (v->version < last) backwards.fetch_add(1);
                last = v->version;
                reads.fetch_add(1, std::memory_order_relaxed);
            }
        });
    for (int i = 0; i < 2; ++i)
        threads.emplace_back([&] {  // threads waiting for grace periods while all this goes on
            while (!stop.load(std::memory_order_relaxed)) rcu_synchronize();
        });
    uint64_t swaps = 0;
    // The writer (this thread): for 0.7 s, and at least 50 swaps however slow the machine is.
    while (steady_clock::now() < deadline || swaps < 50) {
        Versioned* old = ptr.exchange(new Versioned(++swaps));
        rcu_call([old] { delete old; });
        if (swaps % 64 == 0) rcu_synchronize();  // bound the backlog of pending frees
    }
    stop.store(true);
    for (auto& t : threads) t.join();
    rcu_barrier();
    delete ptr.exchange(nullptr);

    INFO(swaps << " swaps, " << reads.load() << " reads");
    CHECK(reads.load() > 100);
    CHECK(bad_reads.load() == 0);
    CHECK(backwards.load() == 0);  // one writer: a reader never sees an older version after a newer
}
