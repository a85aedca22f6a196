#include "loop/drainable.h"

#include "loop/aio_wait.h"
#include "loop/main_loop.h"

namespace locklab {

Drainable::Drainable(std::string name, AioContext& ctx) : name_(std::move(name)), ctx_(&ctx) {}

void Drainable::dec_in_flight()
{
    if (in_flight_.fetch_sub(1) == 1) aio_wait_kick();
}

Drainable::Waiter Drainable::check_caller(const char* what) const
{
    AioContext& ctx = aio_context();
    if (ctx.locking() == ContextLocking::ContextLock) return Waiter::LockedContext;
    if (ctx.in_home_thread()) return Waiter::HomeThread;
    if (main_context().in_home_thread()) return Waiter::MainLoop;
    throw DrainError(std::string(what) + "('" + name_ + "') from a thread that is neither the home thread of AioContext '" +
                     ctx.name() + "' nor the main loop");
}

void Drainable::begin(Waiter how)
{
    {
        std::lock_guard lk(hooks_mutex_);
        if (quiesce_depth_.fetch_add(1) == 0) on_drained_begin();
    }
    auto busy = [this] { return in_flight_.load() > 0; };
    AioContext& ctx = aio_context();
    switch (how) {
    case Waiter::LockedContext:
        ctx.acquire();  // the owner (its IOThread) is poked and lets us in; we poll in its place
        try {
            aio_wait_while(ctx, busy);
        } catch (...) {
            ctx.release();
            throw;
        }
        ctx.release();
        break;
    case Waiter::HomeThread:
        aio_wait_while(ctx, busy);
        break;
    case Waiter::MainLoop:
        aio_wait_while(main_context(), busy);  // completions elsewhere kick us (dec_in_flight)
        break;
    }
}

void Drainable::end()
{
    std::lock_guard lk(hooks_mutex_);
    if (quiesce_depth_.load() == 0) throw DrainError("drained_end('" + name_ + "') without drained_begin");
    if (quiesce_depth_.fetch_sub(1) == 1) on_drained_end();
}

void Drainable::drained_begin() { begin(check_caller("drained_begin")); }

void Drainable::drained_end() { end(); }

void Drainable::move_to_context(AioContext& to)
{
    AioContext& from = aio_context();
    if (&from == &to) return;
    begin(check_caller("move_to_context"));
    notifiers_.notify_detach(from);
    ctx_.store(&to);
    notifiers_.notify_attached(to);
    end();
}

}  // namespace locklab
