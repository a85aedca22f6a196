// The Big QEMU Lock (BQL): the one global lock of the `global` lock model, and the lock every model
// takes for devices that are not safe without it. An InstrumentedLock of class "bql" on the
// implementation `--lock-impl` chose (set_lock_impl re-makes it).
//
// bql_locked() answers for the calling thread, so code that may run with or without the BQL (an
// MMIO handler that DMAs, a timer callback) can use BqlLockGuard, which locks only if this thread
// does not already hold it (QEMU's BQL_LOCK_GUARD).
//
// Lock order (DESIGN.md): a device lock may be held while taking the BQL, never the other way round.
#pragma once

#include <source_location>

#include "locking/instrumented_lock.h"

namespace locklab {

void bql_lock(const std::source_location& site = std::source_location::current());
void bql_unlock();
bool bql_locked();  // does *this thread* hold the BQL?

// The lock itself, for the lock models and set_lock_impl. Lives as long as the process.
InstrumentedLock& bql_instance();

class BqlLockGuard {
public:
    explicit BqlLockGuard(const std::source_location& site = std::source_location::current())
        : taken_(!bql_locked())
    {
        if (taken_) bql_lock(site);
    }
    ~BqlLockGuard() { if (taken_) bql_unlock(); }
    BqlLockGuard(const BqlLockGuard&) = delete;
    BqlLockGuard& operator=(const BqlLockGuard&) = delete;

private:
    bool taken_;
};

// Drops the BQL for a scope if this thread holds it (e.g. while a vCPU sleeps in WFI).
class BqlUnlockGuard {
public:
    explicit BqlUnlockGuard(const std::source_location& site = std::source_location::current())
        : held_(bql_locked()), site_(site)
    {
        if (held_) bql_unlock();
    }
    ~BqlUnlockGuard() { if (held_) bql_lock(site_); }
    BqlUnlockGuard(const BqlUnlockGuard&) = delete;
    BqlUnlockGuard& operator=(const BqlUnlockGuard&) = delete;

private:
    bool held_;
    std::source_location site_;
};

}  // namespace locklab
