#include "locking/instrumented_lock.h"

#include "locking/instrumentation.h"
#include "locking/lock_wait_policy.h"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace locklab {

InstrumentedLock::InstrumentedLock(std::string_view lock_class, LockImplKind impl)
    : class_(LockClass::get(lock_class)), raw_(impl)
{
}

void InstrumentedLock::lock(const std::source_location& site)
{
    const std::thread::id me = std::this_thread::get_id();
    if (owner_.load(std::memory_order_relaxed) == me)
        throw std::logic_error("lock \"" + class_.name() + "\" is not recursive: this thread already holds it");
    if (instrumentation_features() == 0) [[likely]] {
        // Nothing listens (no stats, lockdep or trace): the hooks would all return at once, so skip
        // them and the contention probe. The MMIO round trip pays for every call here: an
        // uncontended one costs the try_lock alone (lock() would make the same exchange).
        if (!raw_.try_lock() && !spin_for_lock(raw_)) raw_.lock();
        owner_.store(me, std::memory_order_relaxed);
        instrumented_ = false;
        return;
    }
    lockdep_acquire(class_, site);
    if (raw_.try_lock()) {
        acquired(false, 0, site);
        return;
    }
    const uint64_t wait_start = lock_timing_enabled() ? lockstat_now_ticks() : 0;
    if (!spin_for_lock(raw_)) raw_.lock();  // a spun wait is a wait too
    acquired(true, wait_start, site);
}

bool InstrumentedLock::try_lock(const std::source_location& site)
{
    if (held_by_me())
        throw std::logic_error("lock \"" + class_.name() + "\" is not recursive: this thread already holds it");
    lockdep_try_acquire(class_, site);
    if (!raw_.try_lock()) {
        lockstat_try_failed(class_);
        return false;
    }
    acquired(false, 0, site);
    return true;
}

void InstrumentedLock::acquired(bool contended, uint64_t wait_start, const std::source_location& site)
{
    owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
    instrumented_ = true;
    // One clock read serves both the wait (contended only) and the start of a sampled hold.
    const bool time_hold = lock_timing_enabled() && lock_hold_sampled();
    const uint64_t now = time_hold || wait_start ? lockstat_now_ticks() : 0;
    const uint64_t wait = wait_start ? lockstat_ticks_to_ns(now - wait_start) : 0;
    acquired_at_ = time_hold ? now : 0;
    lockstat_acquired(class_, wait, contended, site);
}

void InstrumentedLock::release()
{
    if (!instrumented_) {  // taken while nothing listened: no acquire hooks ran, so no release hooks
        owner_.store(std::thread::id{}, std::memory_order_relaxed);
        raw_.unlock();
        return;
    }
    const uint64_t hold =
        acquired_at_ && lock_timing_enabled() ? lockstat_ticks_to_ns(lockstat_now_ticks() - acquired_at_) : kHoldNotTimed;
    lockstat_released(class_, hold);
    lockdep_release(class_);
    owner_.store(std::thread::id{}, std::memory_order_relaxed);
    raw_.unlock();
}

void InstrumentedLock::unlock()
{
    if (!held_by_me())
        throw std::logic_error("unlock of lock \"" + class_.name() + "\" by a thread that does not hold it");
    if (!deferred_work_enabled()) {  // no model defers work: nothing can be queued (work_queue.h)
        release();
        return;
    }
    unlock_and_settle();
}

void InstrumentedLock::unlock_and_settle()
{
    // Outlives every use of *this below: deferred work may hold the last reference on our owner.
    std::vector<DeferredWork::Item> handled;
    for (;;) {
        const size_t posted_before = handled.size();
        if (deferred_.maybe_pending()) deferred_.run_held(handled);
        release();
        for (size_t i = posted_before; i < handled.size(); ++i)
            if (handled[i].kind == DeferredWork::Kind::PostOnRelease)
                handled[i].executor.post(std::move(handled[i].work));
        if (!deferred_.settle_after_release()) return;
        if (!try_lock()) return;  // another holder has it now and deals with the queue
    }
}

void InstrumentedLock::defer(DeferredWork::Kind kind, AsyncWork work, const AsyncExecutor& ex,
                             const std::source_location& site)
{
    deferred_.push({kind, std::move(work), ex});
    if (held_by_me()) return;                  // our own unlock deals with it
    if (try_lock(site)) unlock();              // nobody held it after all: deal with the queue ourselves
}

void InstrumentedLock::set_impl(LockImplKind impl)
{
    if (owner_.load(std::memory_order_relaxed) != std::thread::id{})
        throw std::logic_error("lock \"" + class_.name() + "\" changes implementation while held");
    raw_.reset(impl);
}

}  // namespace locklab
