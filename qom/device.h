// Device: an Object that can be realized (made live: regions mapped, timers armed) and
// unrealized (hot-unplug), with a re-entrancy guard and a LockDomain for the lock models.
#pragma once

#include <atomic>
#include <stdexcept>
#include <string>

#include "locking/lock_domain.h"
#include "locking/reentrancy_guard.h"
#include "qom/object.h"

namespace locklab {

class Device : public Object {
public:
    // `lock_class` names the device's lock class in statistics (usually the type name).
    explicit Device(std::string lock_class) : lock_(std::move(lock_class)) {}

    void realize()
    {
        if (realized()) throw std::logic_error(std::string(type_name()) + ": realized twice");
        do_realize();
        realized_.store(true, std::memory_order_release);
    }
    void unrealize()
    {
        if (!realized()) return;
        realized_.store(false, std::memory_order_release);  // concurrent users notice first
        do_unrealize();
    }
    bool realized() const { return realized_.load(std::memory_order_acquire); }

    ReentrancyGuard& guard() { return guard_; }
    LockDomain& lock_domain() { return lock_; }

protected:
    virtual void do_realize() {}
    virtual void do_unrealize() {}

private:
    std::atomic<bool> realized_{false};  // atomic: read by any thread on the dispatch path
    ReentrancyGuard guard_;              // see locking/reentrancy_guard.h
    LockDomain lock_;                    // see locking/lock_domain.h
};

}  // namespace locklab
