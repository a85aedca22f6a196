// DeferredWork: asynchronous device work handed to a busy lock instead of waiting for it — the
// device work queue of the trylock-queue and trylock-notify lock models (DESIGN.md's table;
// delegation / flat combining in the literature, reference locking-literature.md §4.3).
//
// Every InstrumentedLock has one. An event-loop thread whose trylock failed pushes an item; whoever
// holds the lock deals with it when it unlocks:
//   RunByHolder    (trylock-queue)  the holder runs the work, still holding the lock, before it
//                                   releases it: the work runs exactly once, under the lock.
//   PostOnRelease  (trylock-notify) once the lock is released, the work is posted to the pusher's
//                                   executor (a wake-up: the work retries there).
//
// No item is stranded. A pusher pushes, then tries the lock itself (InstrumentedLock::defer); a
// holder, after releasing, looks at the queue again (settle_after_release) and, if anything is
// there, tries the lock and deals with it. Both steps are read-modify-writes on one counter, so one
// of the two always sees the other: if the pusher's try failed because the lock was still held, the
// holder's later look sees the item (see work_queue.cpp).
//
// Cost: the look after each release is a read-modify-write (a few ns), paid only once some lock
// model that defers work exists (deferred_work_enable(), called by the trylock-queue and
// trylock-notify models when they are made). Such a model must therefore be made before the
// threads that take locks start — as set_lock_model() and --device-lock do, at start-up.
//
// Memory: a lock gets its queue when work is first deferred to it. Queues are recycled through a
// process-wide pool, never freed while the process runs: oneTBB allocates a queue's internals with
// its own allocator, whose reuse of freed memory ThreadSanitizer cannot see (a new queue at a dead
// one's address looked like a race with it). So memory is bounded by the most locks that held
// deferred work at once.
//
// Budget: none. Items come from event loops, at most one per event, so a holder drains at most what
// the loops produced while it held the lock; the literature's warning (a holder kept busy draining
// others' work loses latency) is measured by the experiments, not guessed at here.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

#include <oneapi/tbb/concurrent_queue.h>

#include "locking/async_executor.h"

namespace locklab {

// Whether a lock model that defers work has been made in this process (sticky).
inline std::atomic<bool> g_deferred_work_enabled{false};
inline void deferred_work_enable() { g_deferred_work_enabled.store(true, std::memory_order_seq_cst); }
inline bool deferred_work_enabled() { return g_deferred_work_enabled.load(std::memory_order_relaxed); }

class DeferredWork {
public:
    DeferredWork();
    ~DeferredWork();  // drops work still queued (only a lock destroyed at exit can have any)
    DeferredWork(const DeferredWork&) = delete;
    DeferredWork& operator=(const DeferredWork&) = delete;

    enum class Kind { RunByHolder, PostOnRelease };
    struct Item {
        Kind kind = Kind::RunByHolder;
        AsyncWork work;
        AsyncExecutor executor{nullptr, nullptr};  // where PostOnRelease work goes
    };

    // Any thread. Returns after the item is visible to the lock's next look.
    void push(Item item);

    // Cheap hint for a holder about to release: anything queued? (May miss an item pushed at this
    // moment; settle_after_release() catches those.)
    bool maybe_pending() const { return count_.load(std::memory_order_relaxed) != 0; }

    // The lock's holder: takes every item queued so far (including ones their own work queues),
    // runs the RunByHolder ones, and appends all of them to `handled`. The caller posts the
    // PostOnRelease ones after its release, and destroys `handled` only once it no longer touches
    // the lock: the work may hold the last reference on the device that owns the lock. Work must not
    // throw; if it does, the exception is reported on stderr and the remaining items still run.
    void run_held(std::vector<Item>& handled);

    // Right after the lock's release, by the thread that released it: whether items are queued (the
    // caller then tries the lock again and, if it gets it, deals with them). Free (false at once)
    // while no deferring model exists.
    bool settle_after_release() { return deferred_work_enabled() && settle(); }

private:
    // std::allocator rather than TBB's cache-aligned one for the pages: those then come from malloc,
    // which the sanitizers track.
    using Queue = tbb::concurrent_queue<Item, std::allocator<Item>>;
    struct Pool;
    static Pool& pool();
    static void run(const AsyncWork& work);
    bool settle();

    // Atomic: installed (from the pool) by the first push, from any thread; back to the pool when
    // the lock dies.
    std::atomic<Queue*> queue_{nullptr};
    // Items pushed and not yet taken. Updated only by read-modify-writes (see work_queue.cpp).
    std::atomic<size_t> count_{0};
};

}  // namespace locklab
