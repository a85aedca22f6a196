// What a lock model needs to know about one device: its own lock, whether it may run without the
// BQL, and which lock model it follows. Every Device owns one (qom/device.h); the lock models
// (lock_model.h) decide which of the locks an access takes.
#pragma once

#include <string>

#include "locking/instrumented_lock.h"

namespace locklab {

class LockModel;

struct LockDomain {
    // Resolves `model` from the per-device overrides (set_device_lock_model in lock_model.h) and
    // makes `lock` on the current lock implementation, so both are fixed at construction.
    explicit LockDomain(std::string cls);
    LockDomain(const LockDomain&) = delete;
    LockDomain& operator=(const LockDomain&) = delete;

    const std::string lock_class;  // immutable: statistics and lock-order validation group by it
    InstrumentedLock lock;         // the device's own lock (per-device and trylock models)
    bool bql_free = false;         // set before realize, read-only afterwards: safe without the BQL
    // Immutable after construction: the model this device follows (`--device-lock`), or nullptr for
    // the active one (current_lock_model()). Models live for the whole process.
    LockModel* const model;
};

}  // namespace locklab
