// Per-device lock-model overrides (`--device-lock TYPE=MODEL`, locking/lock_model.h): how TYPE
// matches a device's lock class, and that a matching device follows its own model whatever the
// active one is.
#include <catch2/catch.hpp>

#include "locking/bql.h"
#include "locking/lock_model.h"

using namespace locklab;

namespace {

// Restores the default state (no overrides, the global model) whatever the test did.
struct CleanModels {
    ~CleanModels()
    {
        clear_device_lock_models();
        set_lock_model(make_lock_model("global"));
    }
};

}  // namespace

TEST_CASE("A device type matches a lock class that equals it or one of its words", "[locking][lock_model][override]")
{
    CHECK(lock_class_matches("riscv.aclint.clint", "clint"));
    CHECK(lock_class_matches("riscv.aclint.clint", "riscv.aclint.clint"));
    CHECK(lock_class_matches("sifive_plic", "plic"));
    CHECK(lock_class_matches("serial-mm", "serial"));
    CHECK(lock_class_matches("goldfish_rtc", "rtc"));
    CHECK_FALSE(lock_class_matches("riscv.aclint.clint", "lint"));          // not part of a word
    CHECK_FALSE(lock_class_matches("riscv.aclint.clint", "aclint.clint"));  // not the whole name
    CHECK_FALSE(lock_class_matches("sifive_plic", ""));
    CHECK_FALSE(lock_class_matches("", "plic"));
}

TEST_CASE("A device matching an override follows its own model whatever model is active",
          "[locking][lock_model][override]")
{
    CleanModels clean;
    REQUIRE(set_device_lock_model("ovrdev", "per-device"));
    LockDomain mine("unit.ovrdev"), other("unit.plain");
    mine.bql_free = other.bql_free = true;
    REQUIRE(mine.model);
    CHECK(mine.model->name() == "per-device");
    CHECK(other.model == nullptr);
    CHECK(&lock_model_for(other) == &current_lock_model());
    CHECK(device_lock_model_matches("ovrdev") == 1);

    {
        LockHold hold = current_lock_model().enter(mine);  // the active model is global ...
        CHECK(mine.lock.held_by_me());                     // ... but this device takes its own lock
        CHECK_FALSE(bql_locked());
    }
    {
        LockHold hold = current_lock_model().enter(other);
        CHECK(bql_locked());
    }
    set_lock_model(make_lock_model("per-device"));
    CHECK(current_lock_model().name() == "per-device");
    {
        LockHold hold = current_lock_model().enter(other);  // devices without an override follow the active model
        CHECK(other.lock.held_by_me());
    }
}

TEST_CASE("The first matching override wins and unknown models are refused", "[locking][lock_model][override]")
{
    CleanModels clean;
    CHECK_FALSE(set_device_lock_model("ovrfirst", "no-such-model"));
    CHECK_FALSE(set_device_lock_model("", "per-device"));
    REQUIRE(set_device_lock_model("ovrfirst", "trylock-queue"));
    REQUIRE(set_device_lock_model("unit", "trylock-skip"));
    LockDomain d("unit.ovrfirst");
    REQUIRE(d.model);
    CHECK(d.model->name() == "trylock-queue");
    CHECK(device_lock_model_matches("ovrfirst") == 1);
    CHECK(device_lock_model_matches("unit") == 0);
    CHECK(device_lock_model_matches("never-given") == 0);
    clear_device_lock_models();
    LockDomain later("unit.ovrfirst");
    CHECK(later.model == nullptr);  // cleared: new devices follow the active model again
}
