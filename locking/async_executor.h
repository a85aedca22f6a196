// AsyncExecutor: where asynchronous device work that a lock model could not run at once goes to run
// later — an event loop's home thread. locking/ does not know loop/: devices/ adapts an AioContext
// (MmioDevice), tests use a plain list.
//
// A copyable handle, not an owner: lock models keep a copy with the work they defer (trylock-notify's
// waiters, trylock-skip's retry) and post() to it later from another thread, so whatever is behind it
// must outlive every work item posted through it (the board's main loop outlives its devices).
#pragma once

#include <functional>
#include <utility>

namespace locklab {

// One piece of asynchronous device work (a timer expiry, an fd becoming readable). It owns what it
// needs (it may run later, on another thread) and re-checks its condition when it runs.
using AsyncWork = std::function<void()>;

class AsyncExecutor {
public:
    // `post(target, work)` must run `work` once, later, in the executor's thread; any thread may call it.
    using PostFn = void (*)(void* target, AsyncWork work);

    AsyncExecutor(PostFn post, void* target) : post_(post), target_(target) {}
    void post(AsyncWork work) const { post_(target_, std::move(work)); }
    void* target() const { return target_; }  // identifies the executor (tests compare it)

private:
    PostFn post_;   // immutable
    void* target_;  // immutable; outlives the work posted to it (see above)
};

}  // namespace locklab
