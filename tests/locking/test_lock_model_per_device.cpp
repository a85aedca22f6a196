// The global and per-device lock models (locking/lock_model.h): which lock each takes for a vCPU
// access and for asynchronous work, re-entrancy, and the lock order rule (never a device lock while
// holding the BQL).
#include <catch2/catch.hpp>

#include <chrono>

#include "blocked_call.h"
#include "lock_model_helpers.h"
#include "locking/bql.h"
#include "locking/lock_model.h"

using namespace locklab;
using namespace locklab::test;

TEST_CASE("Every lock model has a name and make_lock_model makes each of them", "[locking][lock_model]")
{
    const auto names = lock_model_names();
    CHECK(names == std::vector<std::string_view>{"global", "per-device", "trylock-skip", "trylock-queue",
                                                 "trylock-notify"});
}

TEST_CASE("per-device takes a bql_free device's own lock and the BQL for any other device",
          "[locking][lock_model]")
{
    PerDeviceLockModel model;
    LockDomain safe("test.pd.safe"), unsafe("test.pd.unsafe");
    safe.bql_free = true;
    {
        LockHold hold = model.enter(safe);
        CHECK(safe.lock.held_by_me());
        CHECK_FALSE(bql_locked());
    }
    CHECK_FALSE(safe.lock.held_by_me());
    {
        LockHold hold = model.enter(unsafe);
        CHECK(bql_locked());
        CHECK_FALSE(unsafe.lock.held_by_me());
    }
    CHECK_FALSE(bql_locked());
}

TEST_CASE("The global model takes the BQL even for a bql_free device", "[locking][lock_model]")
{
    GlobalLockModel model;
    LockDomain safe("test.global.safe");
    safe.bql_free = true;
    LockHold hold = model.enter(safe);
    CHECK(bql_locked());
    CHECK_FALSE(safe.lock.held_by_me());
}

TEST_CASE("Every model gives a thread that already holds the lock an empty hold", "[locking][lock_model]")
{
    for (std::string_view name : lock_model_names()) {
        INFO("lock model " << name);
        auto model = make_lock_model(name);
        for (bool bql_free : {true, false}) {
            LockDomain d("test.reentry");
            d.bql_free = bql_free;
            LockHold outer = model->enter(d);
            InstrumentedLock& taken = name != "global" && bql_free ? d.lock : bql_instance();
            REQUIRE(taken.held_by_me());
            {
                LockHold inner = model->enter(d);  // must not deadlock on the non-recursive lock
                CHECK_FALSE(inner.refused());
            }
            CHECK(taken.held_by_me());  // the inner hold released nothing
            outer.reset();
            CHECK_FALSE(taken.held_by_me());
        }
    }
}

TEST_CASE("A model refuses to take a device lock while this thread holds the BQL", "[locking][lock_model]")
{
    for (std::string_view name : lock_model_names()) {
        INFO("lock model " << name);
        auto model = make_lock_model(name);
        LockDomain d("test.order");
        d.bql_free = true;
        bql_lock();
        LockHold hold = model->enter(d);
        if (name == "global") {
            CHECK_FALSE(hold.refused());  // the BQL it needs is held already
        } else {
            CHECK(hold.refused());
            CHECK_FALSE(d.lock.held_by_me());
        }
        hold.reset();
        CHECK(bql_locked());
        bql_unlock();
    }
}

TEST_CASE("A device lock may be held while the BQL is taken", "[locking][lock_model]")
{
    PerDeviceLockModel model;
    LockDomain safe("test.order.device-first"), unsafe("test.order.bql-second");
    safe.bql_free = true;
    LockHold device = model.enter(safe);
    LockHold bql = model.enter(unsafe);
    CHECK_FALSE(bql.refused());
    CHECK(bql_locked());
    CHECK(safe.lock.held_by_me());
}

TEST_CASE("Asynchronous work runs under the BQL in the global model and under the device lock in per-device",
          "[locking][lock_model]")
{
    ListExecutor ex;
    LockDomain d("test.async.where");
    d.bql_free = true;
    bool under_bql = false, under_device = false;
    auto probe = [&] {
        under_bql = bql_locked();
        under_device = d.lock.held_by_me();
    };
    CHECK(GlobalLockModel().run_async(d, probe, ex.executor()) == AsyncOutcome::Ran);
    CHECK(under_bql);
    CHECK_FALSE(under_device);
    CHECK(PerDeviceLockModel().run_async(d, probe, ex.executor()) == AsyncOutcome::Ran);
    CHECK_FALSE(under_bql);
    CHECK(under_device);
    CHECK_FALSE(bql_locked());
    CHECK_FALSE(d.lock.held_by_me());
    CHECK(ex.pending() == 0);
}

TEST_CASE("per-device asynchronous work waits for a busy device lock", "[locking][lock_model]")
{
    PerDeviceLockModel model;
    ListExecutor ex;
    LockDomain d("test.async.wait");
    d.bql_free = true;
    HeldByThread vcpu(model, d);
    bool ran = false;
    BlockedCall timer([&] { CHECK(model.run_async(d, [&] { ran = d.lock.held_by_me(); }, ex.executor()) == AsyncOutcome::Ran); });
    CHECK_FALSE(timer.returned_within(std::chrono::milliseconds(50)));
    vcpu.release();
    CHECK(timer.returned_within(std::chrono::seconds(10)));
    CHECK(ran);
}

TEST_CASE("Asynchronous work that would take a device lock under the BQL is posted to its executor instead",
          "[locking][lock_model]")
{
    PerDeviceLockModel model;
    ListExecutor ex;
    LockDomain d("test.async.order");
    d.bql_free = true;
    int runs = 0;
    bool under_device = false;
    bql_lock();
    CHECK(model.run_async(d, [&] { ++runs; under_device = d.lock.held_by_me(); }, ex.executor()) ==
          AsyncOutcome::Posted);
    CHECK(runs == 0);
    bql_unlock();
    CHECK(ex.run_all() == 1);  // the retry, with no lock held now
    CHECK(runs == 1);
    CHECK(under_device);
}

TEST_CASE("Asynchronous work on a thread that already holds the lock runs at once", "[locking][lock_model]")
{
    for (std::string_view name : lock_model_names()) {
        INFO("lock model " << name);
        auto model = make_lock_model(name);
        ListExecutor ex;
        LockDomain d("test.async.held");
        d.bql_free = true;
        LockHold hold = model->enter(d);
        int runs = 0;
        CHECK(model->run_async(d, [&] { ++runs; }, ex.executor()) == AsyncOutcome::Ran);
        CHECK(runs == 1);
        CHECK(ex.pending() == 0);
    }
}
