// The trylock family: per-device's locks for vCPU accesses; asynchronous work takes the lock only if
// it is free at once. A trylock cannot block, so it may even be tried while this thread holds the
// BQL without breaking the lock order (lockdep records no order edge for it).
#include <mutex>

#include "locking/lock_model_common.h"

namespace locklab {

TrylockLockModel::TrylockLockModel(WhenBusy when_busy) : when_busy_(when_busy)
{
    if (when_busy != WhenBusy::Skip) deferred_work_enable();  // before any lock can be deferred to
}

std::string_view TrylockLockModel::name() const
{
    switch (when_busy_) {
    case WhenBusy::Skip: return "trylock-skip";
    case WhenBusy::Queue: return "trylock-queue";
    case WhenBusy::Notify: return "trylock-notify";
    }
    return "trylock";
}

LockHold TrylockLockModel::do_enter(LockDomain& d, const std::source_location& site)
{
    return detail::hold(detail::device_or_bql(d), site);
}

AsyncOutcome TrylockLockModel::do_run_async(LockDomain& d, AsyncWork& work, const AsyncExecutor& ex,
                                            const std::source_location& site)
{
    InstrumentedLock& l = detail::device_or_bql(d);
    if (l.held_by_me()) {
        work();
        return AsyncOutcome::Ran;
    }
    if (l.try_lock(site)) {
        std::unique_lock held(l, std::adopt_lock);
        work();
        return AsyncOutcome::Ran;
    }
    switch (when_busy_) {
    case WhenBusy::Skip: return AsyncOutcome::Skipped;
    case WhenBusy::Queue:
        l.defer(DeferredWork::Kind::RunByHolder, std::move(work), ex, site);
        return AsyncOutcome::Queued;
    case WhenBusy::Notify:
        l.defer(DeferredWork::Kind::PostOnRelease, detail::retry_later(*this, d, work, ex, site), ex, site);
        return AsyncOutcome::Waiting;
    }
    return AsyncOutcome::Skipped;
}

}  // namespace locklab
