// The per-device re-entrancy guard (locking/reentrancy_guard.h).
#include <catch2/catch.hpp>

#include "locking/reentrancy_guard.h"

using namespace locklab;

TEST_CASE("A guard refuses a second engagement and only its holder clears it", "[locking][reentrancy]")
{
    ReentrancyGuard g;
    CHECK_FALSE(g.engaged());
    {
        ReentrancyHold outer(g);
        REQUIRE(outer);
        CHECK(g.engaged());
        {
            ReentrancyHold inner(g);
            CHECK_FALSE(inner);
        }
        CHECK(g.engaged());  // the refused inner hold did not clear the outer's engagement
    }
    CHECK_FALSE(g.engaged());
    CHECK(g.try_engage());
    CHECK_FALSE(g.try_engage());
    g.disengage();
    CHECK_FALSE(g.engaged());
}

TEST_CASE("exchange sets the guard unconditionally and returns what it was", "[locking][reentrancy]")
{
    ReentrancyGuard g;
    // A guarded bottom half: engage whatever the state, run, then restore.
    CHECK_FALSE(g.exchange(true));
    CHECK(g.engaged());
    CHECK(g.exchange(true));  // nested: it was already engaged
    CHECK_FALSE(ReentrancyHold(g));
    CHECK(g.exchange(false));
    CHECK_FALSE(g.engaged());
}

TEST_CASE("A serialised engagement (the dispatch path's, under the device lock) refuses as try_engage does",
          "[locking][reentrancy]")
{
    ReentrancyGuard g;
    {
        ReentrancyHold outer(g, ReentrancyHold::Serialised{});
        REQUIRE(outer);
        CHECK(g.engaged());
        CHECK_FALSE(ReentrancyHold(g, ReentrancyHold::Serialised{}));  // the handler DMAs into itself
        CHECK_FALSE(g.try_engage());
        CHECK(g.engaged());  // the refused attempts left it engaged
    }
    CHECK_FALSE(g.engaged());
    // A guarded BH's exchange and a serialised engagement see each other's state.
    CHECK_FALSE(g.exchange(true));
    CHECK_FALSE(g.try_engage_serialised());
    CHECK(g.exchange(false));
    CHECK(g.try_engage_serialised());
    g.disengage();
}
