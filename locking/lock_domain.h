// What a lock model needs to know about one device: its own lock and whether it may run without
// the BQL. Every Device owns one (qom/device.h); the lock models (lock_model.h) decide which of the
// locks an access takes.
#pragma once

#include <mutex>
#include <string>

namespace locklab {

struct LockDomain {
    explicit LockDomain(std::string cls) : lock_class(std::move(cls)) {}

    std::mutex mutex;        // the device's own lock (per-device and trylock models)
    bool bql_free = false;   // set before realize, read-only afterwards: safe without the BQL
    const std::string lock_class;  // immutable: statistics and lock-order validation group by it
};

}  // namespace locklab
