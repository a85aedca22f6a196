// The BQL (locking/bql.h): one global mutex, a per-thread "held" flag, and the guards built on it.
#include <catch2/catch.hpp>

#include <thread>

#include "../locking/blocked_call.h"
#include "locking/bql.h"

using namespace locklab;
using locklab::test::BlockedCall;

TEST_CASE("bql_locked reports whether this thread holds the BQL and not whether any thread does",
          "[locking][bql]")
{
    CHECK_FALSE(bql_locked());
    bql_lock();
    CHECK(bql_locked());
    bool other_sees_held = true;
    std::thread([&] { other_sees_held = bql_locked(); }).join();
    CHECK_FALSE(other_sees_held);
    bql_unlock();
    CHECK_FALSE(bql_locked());
}

TEST_CASE("The BQL excludes other threads until it is released", "[locking][bql]")
{
    bql_lock();
    BlockedCall other([] {
        bql_lock();
        bql_unlock();
    });
    CHECK_FALSE(other.returned_within());
    bql_unlock();
    other.finish();
    CHECK(other.done());
}

TEST_CASE("BqlLockGuard takes the BQL only if this thread does not hold it already", "[locking][bql]")
{
    {
        BqlLockGuard outer;
        CHECK(bql_locked());
        {
            BqlLockGuard inner;  // would self-deadlock if it locked again
            CHECK(bql_locked());
        }
        CHECK(bql_locked());  // the inner guard did not release the outer's hold
    }
    CHECK_FALSE(bql_locked());
}

TEST_CASE("BqlUnlockGuard drops a held BQL for its scope and takes it back", "[locking][bql]")
{
    bql_lock();
    {
        BqlUnlockGuard unlocked;
        CHECK_FALSE(bql_locked());
        BlockedCall other([] { BqlLockGuard bql; });  // another thread can take it meanwhile
        CHECK(other.returned_within(std::chrono::seconds(5)));
    }
    CHECK(bql_locked());
    bql_unlock();

    {
        BqlUnlockGuard unlocked;  // not held: nothing to drop, nothing to retake
        CHECK_FALSE(bql_locked());
    }
    CHECK_FALSE(bql_locked());
}
