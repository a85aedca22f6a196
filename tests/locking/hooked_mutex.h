// HookedMutex: a std::mutex that calls the instrumentation hooks exactly as lock_class.h's contract
// tells lock implementations to, so the instrumentation can be tested without them. Also
// InstrumentationOn, which switches a feature on for one test and off again.
#pragma once

#include <functional>
#include <mutex>
#include <source_location>

#include "locking/lock_class.h"

namespace locklab::test {

class HookedMutex {
public:
    explicit HookedMutex(LockClass& c) : class_(c) {}
    explicit HookedMutex(std::string_view class_name) : class_(LockClass::get(class_name)) {}

    void lock(const std::source_location& site = std::source_location::current())
    {
        lockdep_acquire(class_, site);
        const uint64_t start = lockstat_now_ns();
        const bool contended = !m_.try_lock();
        if (contended) m_.lock();
        acquired_at_ = lockstat_now_ns();
        lockstat_acquired(class_, acquired_at_ - start, contended, site);
    }

    bool try_lock(const std::source_location& site = std::source_location::current())
    {
        lockdep_try_acquire(class_, site);
        if (!m_.try_lock()) {
            lockstat_try_failed(class_);
            return false;
        }
        acquired_at_ = lockstat_now_ns();
        lockstat_acquired(class_, 0, false, site);
        return true;
    }

    void unlock()
    {
        lockstat_released(class_, lockstat_now_ns() - acquired_at_);
        lockdep_release(class_);
        m_.unlock();
    }

    LockClass& lock_class() const { return class_; }

private:
    LockClass& class_;
    std::mutex m_;
    uint64_t acquired_at_ = 0;  // protected by m_
};

// Switches an instrumentation feature on for a scope (a test), and off at its end.
class InstrumentationOn {
public:
    InstrumentationOn(std::function<void(bool)> set) : set_(std::move(set)) { set_(true); }
    ~InstrumentationOn() { set_(false); }
    InstrumentationOn(const InstrumentationOn&) = delete;
    InstrumentationOn& operator=(const InstrumentationOn&) = delete;

private:
    std::function<void(bool)> set_;
};

}  // namespace locklab::test
