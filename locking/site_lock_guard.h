// SiteLockGuard: std::lock_guard for locks whose lock() takes the caller's std::source_location
// (InstrumentedLock). With std::lock_guard every site would be the same line inside <mutex>, so
// lock statistics and lockdep reports could not say where a lock was taken.
#pragma once

#include <source_location>

namespace locklab {

template <class Lock>
class [[nodiscard]] SiteLockGuard {
public:
    explicit SiteLockGuard(Lock& lock, const std::source_location& site = std::source_location::current())
        : lock_(lock)
    {
        lock_.lock(site);
    }
    ~SiteLockGuard() { lock_.unlock(); }
    SiteLockGuard(const SiteLockGuard&) = delete;
    SiteLockGuard& operator=(const SiteLockGuard&) = delete;

private:
    Lock& lock_;
};

}  // namespace locklab
