// Which lock instrumentation features are on, and the entry points the hooks of lock_class.h fan
// out to. Internal to the instrumentation (lock_class.cpp, lock_stats, lockdep, trace); users switch
// features on through lock_stats.h, lockdep.h and trace.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <source_location>

namespace locklab {

class LockClass;

enum InstrumentationFeature : unsigned {
    kFeatureStats = 1u << 0,
    kFeatureLockdep = 1u << 1,
    kFeatureTrace = 1u << 2,
};

// Features switched on (a mask of InstrumentationFeature). Read with one relaxed load on every
// hook; written only when a feature is switched on or off (normally once, at start-up).
inline std::atomic<unsigned> g_instrumentation{0};

inline unsigned instrumentation_features() { return g_instrumentation.load(std::memory_order_relaxed); }
inline void instrumentation_set(InstrumentationFeature f, bool on)
{
    if (on)
        g_instrumentation.fetch_or(f, std::memory_order_relaxed);
    else
        g_instrumentation.fetch_and(~unsigned(f), std::memory_order_relaxed);
}

namespace detail {
// lock_stats.cpp
void stats_acquired(const LockClass& c, uint64_t wait_ns, bool contended, const std::source_location& site);
void stats_released(const LockClass& c, uint64_t hold_ns);
void stats_try_failed(const LockClass& c);
// lockdep.cpp
void lockdep_acquire(const LockClass& c, const std::source_location& site, bool trylock);
void lockdep_acquired(const LockClass& c);
void lockdep_try_failed(const LockClass& c);
void lockdep_release(const LockClass& c);
// trace.cpp
void trace_lock_acquired(const LockClass& c, uint64_t wait_ns, bool contended);
void trace_lock_released(const LockClass& c, uint64_t hold_ns);
}  // namespace detail

}  // namespace locklab
