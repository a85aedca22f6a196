#include "locking/lock_model_common.h"

namespace locklab::detail {

LockHold hold(InstrumentedLock& l, const std::source_location& site)
{
    if (l.held_by_me()) return {};
    if (breaks_lock_order(l)) return LockHold::refusal();
    l.lock(site);
    return LockHold([](void* what) { static_cast<InstrumentedLock*>(what)->unlock(); }, &l);
}

AsyncWork retry_later(LockModel& m, LockDomain& d, const AsyncWork& work, const AsyncExecutor& ex,
                      const std::source_location& site)
{
    return [&m, &d, work, ex, site] { m.run_async(d, work, ex, site); };
}

}  // namespace locklab::detail
