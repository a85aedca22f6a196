// The Big QEMU Lock (BQL): the one global mutex of the `global` lock model.
//
// bql_locked() is a per-thread flag, so code that may run with or without the BQL (an MMIO handler
// that DMAs, a timer callback) can use BqlLockGuard, which locks only if this thread does not
// already hold it (QEMU's BQL_LOCK_GUARD).
#pragma once

namespace locklab {

void bql_lock();
void bql_unlock();
bool bql_locked();  // does *this thread* hold the BQL?

class BqlLockGuard {
public:
    BqlLockGuard() : taken_(!bql_locked()) { if (taken_) bql_lock(); }
    ~BqlLockGuard() { if (taken_) bql_unlock(); }
    BqlLockGuard(const BqlLockGuard&) = delete;
    BqlLockGuard& operator=(const BqlLockGuard&) = delete;

private:
    bool taken_;
};

// Drops the BQL for a scope if this thread holds it (e.g. while a vCPU sleeps in WFI).
class BqlUnlockGuard {
public:
    BqlUnlockGuard() : held_(bql_locked()) { if (held_) bql_unlock(); }
    ~BqlUnlockGuard() { if (held_) bql_lock(); }
    BqlUnlockGuard(const BqlUnlockGuard&) = delete;
    BqlUnlockGuard& operator=(const BqlUnlockGuard&) = delete;

private:
    bool held_;
};

}  // namespace locklab
