// Building blocks the lock models share (lock_model_*.cpp). Internal to locking/.
#pragma once

#include <source_location>

#include "locking/bql.h"
#include "locking/lock_model.h"

namespace locklab::detail {

// The lock per-device and the trylock models take for `d`.
inline InstrumentedLock& device_or_bql(LockDomain& d) { return d.bql_free ? d.lock : bql_instance(); }

// Whether this thread taking `l` now would take a device lock while holding the BQL.
inline bool breaks_lock_order(const InstrumentedLock& l) { return &l != &bql_instance() && bql_locked(); }

// enter()'s answer for lock `l`: an empty hold if this thread holds it already (the re-entrancy
// guard then refuses the access), a refused hold if taking it would break the lock order, else `l`
// locked (waiting for it) until the hold is released.
LockHold hold(InstrumentedLock& l, const std::source_location& site);

// Work that calls `m.run_async(d, work, ex, site)` again: what a model posts or registers when it
// cannot run the work now. `m` must outlive it (models are never freed once set; see lock_model.cpp).
AsyncWork retry_later(LockModel& m, LockDomain& d, const AsyncWork& work, const AsyncExecutor& ex,
                      const std::source_location& site);

}  // namespace locklab::detail
