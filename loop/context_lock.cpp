// The context lock (ContextLocking::ContextLock) and run_exclusive, which hides the difference
// between the two ContextLocking modes from callers.
#include <stdexcept>

#include "loop/aio_context.h"
#include "loop/loop_core.h"

namespace locklab {

namespace {
void require_context_lock(const detail::LoopCore& c)
{
    if (c.locking != ContextLocking::ContextLock)
        throw std::logic_error("AioContext '" + c.name +
                               "' runs in home-thread mode: it has no context lock (send work with "
                               "run_exclusive or schedule_oneshot instead)");
}
}  // namespace

void AioContext::acquire()
{
    require_context_lock(*impl_);
    impl_->lock.lock();
}

void AioContext::release()
{
    require_context_lock(*impl_);
    impl_->lock.unlock();
}

bool AioContext::held_by_me() const
{
    return impl_->locking == ContextLocking::ContextLock && impl_->lock.held_by_me();
}

bool AioContext::has_lock_waiters() const
{
    return impl_->locking == ContextLocking::ContextLock && impl_->lock.waiters() > 0;
}

void AioContext::run_exclusive(const std::function<void()>& fn)
{
    if (impl_->locking == ContextLocking::HomeThread) {
        run_in_context(*this, fn);
        return;
    }
    acquire();
    try {
        fn();
    } catch (...) {
        release();
        throw;
    }
    release();
}

}  // namespace locklab
