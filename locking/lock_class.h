// Lock classes and the instrumentation hooks every lock implementation calls.
//
// A lock class groups locks for statistics and lock-order validation (lockdep's notion of a class):
// all UARTs share "uart", the global lock is "bql". Classes live for the whole process.
//
// CONTRACT between the lock implementations (lock_impl*, lock_model*, bql) and the instrumentation
// (lock_stats*, lockdep*, trace*): implementations call exactly these hooks, in this order:
//   lockdep_acquire(c, site)          before trying to take the lock (may report an order cycle)
//   lockstat_acquired(c, wait, contended, site)   once it is held
//   lockstat_released(c, hold) then lockdep_release(c)   when it is released
//   lockstat_try_failed(c)            when a trylock fails (no acquire/release follows)
// All hooks are thread-safe and cost a relaxed load when their feature is switched off.
//
// Additions (instrumentation side):
//   lockdep_try_acquire(c, site)      replaces lockdep_acquire before a trylock, and before an owner
//                                     re-enters a recursive lock: the class joins this thread's held
//                                     set if the lock is then taken (lockstat_acquired) and leaves it
//                                     if not (lockstat_try_failed), but no order edge is recorded,
//                                     because neither can block (a trylock that inverts the order is
//                                     how the trylock models avoid deadlock, not a bug).
//   lock_timing_enabled()             false while nothing uses wait/hold times: an implementation
//                                     may then skip its clock reads and pass 0.
#pragma once

#include <cstdint>
#include <source_location>
#include <string>
#include <string_view>

#include "locking/instrumentation.h"

namespace locklab {

class LockClass {
public:
    // The class called `name`, created on first use. The reference stays valid forever. Thread-safe.
    static LockClass& get(std::string_view name);

    const std::string& name() const { return name_; }
    unsigned id() const { return id_; }  // dense, from 0, in order of creation

    // At most this many classes exist; get() throws std::length_error beyond (a class per lock
    // instance instead of per kind of lock is the usual cause).
    static constexpr unsigned kMax = 1024;
    // How many classes exist so far, and the one with a given id (< count()). Thread-safe.
    static unsigned count();
    static LockClass& by_id(unsigned id);

    LockClass(std::string name, unsigned id) : name_(std::move(name)), id_(id) {}
    LockClass(const LockClass&) = delete;
    LockClass& operator=(const LockClass&) = delete;

private:
    const std::string name_;  // immutable
    const unsigned id_;       // immutable
};

// Monotonic nanoseconds, the clock all lock timing uses.
uint64_t lockstat_now_ns();
// The same clock in its own units (TSC ticks where lockstat_now_ns() reads the TSC, else ns): one
// read without the conversion, for a lock that times an interval and converts only the difference.
uint64_t lockstat_now_ticks();
uint64_t lockstat_ticks_to_ns(uint64_t ticks);  // a difference of two lockstat_now_ticks() readings

void lockstat_acquired(LockClass& c, uint64_t wait_ns, bool contended, const std::source_location& site);
// hold_ns is kHoldNotTimed for a release whose hold was not sampled (lock_hold_sampled()).
void lockstat_released(LockClass& c, uint64_t hold_ns);
inline constexpr uint64_t kHoldNotTimed = ~uint64_t(0);
void lockstat_try_failed(LockClass& c);

void lockdep_acquire(LockClass& c, const std::source_location& site);
void lockdep_release(LockClass& c);

void lockdep_try_acquire(LockClass& c, const std::source_location& site);
inline bool lock_timing_enabled() { return instrumentation_features() & (kFeatureStats | kFeatureTrace); }

// Hold-time sampling (--lock-stats-sample N): an implementation times the hold of an acquisition only
// when lock_hold_sampled() says so, which is every Nth acquisition of each thread (every one for
// N = 1, the default, and while a trace is written). Counts stay exact, and so do the waits of
// contended acquisitions (an uncontended one waits 0 and needs no clock read); hold percentiles come
// from the sample, and the reported maximum is the sample's. The two clock reads of a timed hold are
// about half of what statistics cost an uncontended lock (experiments/lockstat_overhead).
namespace detail {
inline std::atomic<unsigned> g_hold_sample_period{1};  // relaxed: set at start-up, >= 1
inline thread_local unsigned t_hold_countdown = 0;     // home thread only: acquisitions to skip
}  // namespace detail
void set_lock_hold_sample_period(unsigned n);  // throws std::invalid_argument for 0
inline unsigned lock_hold_sample_period() { return detail::g_hold_sample_period.load(std::memory_order_relaxed); }
inline bool lock_hold_sampled()
{
    if (instrumentation_features() & kFeatureTrace) return true;
    if (detail::t_hold_countdown != 0) {
        --detail::t_hold_countdown;
        return false;
    }
    detail::t_hold_countdown = lock_hold_sample_period() - 1;
    return true;
}

}  // namespace locklab
