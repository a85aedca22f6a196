// Lock models (locking/lock_model.h): which lock an MMIO access takes, and LockHold's ownership.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "locking/bql.h"
#include "locking/lock_model.h"

using namespace locklab;

TEST_CASE("The global lock model holds the BQL for as long as the hold lives", "[locking][lock_model]")
{
    GlobalLockModel model;
    LockDomain dev("test");
    {
        LockHold hold = model.enter(dev);
        CHECK(bql_locked());
    }
    CHECK_FALSE(bql_locked());
}

TEST_CASE("The global lock model leaves a BQL the caller already holds alone", "[locking][lock_model]")
{
    GlobalLockModel model;
    LockDomain dev("test");
    bql_lock();
    {
        LockHold hold = model.enter(dev);  // must not deadlock on the non-recursive BQL
        CHECK(bql_locked());
    }
    CHECK(bql_locked());  // still the caller's
    bql_unlock();
}

TEST_CASE("A moved LockHold releases exactly once from its last owner", "[locking][lock_model]")
{
    int releases = 0;
    {
        LockHold a([](void* n) { ++*static_cast<int*>(n); }, &releases);
        LockHold b(std::move(a));
        LockHold c;
        c = std::move(b);
        CHECK(releases == 0);
        a.reset();
        b.reset();
        CHECK(releases == 0);
    }
    CHECK(releases == 1);

    LockHold d([](void* n) { ++*static_cast<int*>(n); }, &releases);
    d = LockHold();  // assigning over a live hold releases what it held
    CHECK(releases == 2);
}

TEST_CASE("Lock models are made by name and unknown names and null models are refused",
          "[locking][lock_model]")
{
    auto global = make_lock_model("global");
    REQUIRE(global);
    CHECK(global->name() == "global");
    CHECK(make_lock_model("no-such-model") == nullptr);
    CHECK(current_lock_model().name() == "global");  // the default
    CHECK_THROWS_AS(set_lock_model(nullptr), std::invalid_argument);
    CHECK(current_lock_model().name() == "global");
}

TEST_CASE("lock_model_names lists global first and every name it lists makes a model of that name",
          "[locking][lock_model]")
{
    const auto names = lock_model_names();
    REQUIRE(!names.empty());
    CHECK(names.front() == "global");
    for (std::string_view n : names) {
        INFO("lock model " << n);
        auto m = make_lock_model(n);
        REQUIRE(m);
        CHECK(m->name() == n);
    }
}
