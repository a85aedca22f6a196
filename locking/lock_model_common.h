// Building blocks the lock models share (lock_model_*.cpp). Internal to locking/.
#pragma once

#include <source_location>

#include "locking/bql.h"
#include "locking/lock_model.h"

namespace locklab::detail {

// The BQL, looked up once (bql_instance() is a call and a guard check; every access asks for it).
inline InstrumentedLock& bql_ref()
{
    static InstrumentedLock& bql = bql_instance();
    return bql;
}

// The lock per-device and the trylock models take for `d`.
inline InstrumentedLock& device_or_bql(LockDomain& d) { return d.bql_free ? d.lock : bql_ref(); }

// Whether this thread taking `l` now would take a device lock while holding the BQL.
inline bool breaks_lock_order(const InstrumentedLock& l)
{
    InstrumentedLock& bql = bql_ref();
    return &l != &bql && bql.held_by_me();
}

// enter()'s answer for lock `l`: an empty hold if this thread holds it already (the re-entrancy
// guard then refuses the access), a refused hold if taking it would break the lock order, else `l`
// locked (waiting for it) until the hold is released. Inline: it is most of every model's enter().
inline LockHold hold(InstrumentedLock& l, const std::source_location& site)
{
    if (l.held_by_me()) return {};
    if (breaks_lock_order(l)) return LockHold::refusal();
    l.lock(site);
    return LockHold([](void* what) { static_cast<InstrumentedLock*>(what)->unlock(); }, &l);
}

// Work that calls `m.run_async(d, work, ex, site)` again: what a model posts or registers when it
// cannot run the work now. `m` must outlive it (models are never freed once set; see lock_model.cpp).
AsyncWork retry_later(LockModel& m, LockDomain& d, const AsyncWork& work, const AsyncExecutor& ex,
                      const std::source_location& site);

}  // namespace locklab::detail
