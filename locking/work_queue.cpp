// Why nothing is stranded (work_queue.h): a pusher does
//     queue_.push(item); count_.fetch_add(1)          (P1)      then lock.try_lock()   (P2)
// and a releasing holder does
//     raw unlock                                      (H1)      then count_.fetch_add(0) (H2)
// P1 and H2 are read-modify-writes of count_ (acq_rel), so one comes first in count_'s order:
//  - H2 after P1: H2 reads a count that includes the item, and the holder goes back for it.
//  - P1 after H2: P1 reads what H2 wrote, so H2 (and the unlock H1 before it) happens-before P2;
//    P2 then finds the lock free unless a newer holder took it, and that one deals with the item
//    before or after its own release, by the same argument.
// A standalone seq_cst fence would do as well on paper, but ThreadSanitizer does not model fences.
#include "locking/work_queue.h"

#include <cstdio>
#include <exception>
#include <mutex>
#include <utility>

namespace locklab {

// Empty queues of dead locks, for the next lock that needs one (work_queue.h: why not freed).
struct DeferredWork::Pool {
    std::mutex mutex;                         // leaf lock: protects free
    std::vector<std::unique_ptr<Queue>> free; // protected by mutex

    // At exit, queues may have been given back by threads nobody joins (the RCU callback thread
    // frees devices); taking the lock orders their writes before the destruction (TSan saw it).
    ~Pool()
    {
        std::lock_guard lk(mutex);
        free.clear();
    }

    Queue* take()
    {
        std::lock_guard lk(mutex);
        if (free.empty()) return new Queue;
        Queue* q = free.back().release();
        free.pop_back();
        return q;
    }
    void give_back(Queue* q)
    {
        std::lock_guard lk(mutex);
        free.emplace_back(q);
    }
};

DeferredWork::Pool& DeferredWork::pool()
{
    static Pool p;  // destroyed at exit, after every DeferredWork made before it was (see below)
    return p;
}

// Making sure the pool exists first makes it outlive every DeferredWork, static ones included
// (statics die in the reverse order of their construction).
DeferredWork::DeferredWork() { pool(); }

DeferredWork::~DeferredWork()
{
    if (Queue* q = queue_.load(std::memory_order_acquire)) {
        q->clear();
        pool().give_back(q);
    }
}

void DeferredWork::push(Item item)
{
    deferred_work_enable();  // normally set long before, by the model (work_queue.h)
    Queue* q = queue_.load(std::memory_order_acquire);
    if (!q) {
        Queue* fresh = pool().take();
        if (queue_.compare_exchange_strong(q, fresh, std::memory_order_acq_rel)) q = fresh;
        else pool().give_back(fresh);  // another pusher installed one first: q is it
    }
    q->push(std::move(item));
    count_.fetch_add(1, std::memory_order_acq_rel);
}

void DeferredWork::run_held(std::vector<Item>& handled)
{
    Queue* q = queue_.load(std::memory_order_acquire);
    if (!q) return;
    Item item;
    while (q->try_pop(item)) {
        count_.fetch_sub(1, std::memory_order_acq_rel);
        if (item.kind == Kind::RunByHolder) run(item.work);
        handled.push_back(std::move(item));
    }
}

void DeferredWork::run(const AsyncWork& work)
{
    try {
        work();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "locklab: queued device work threw (ignored): %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "locklab: queued device work threw (ignored)\n");
    }
}

bool DeferredWork::settle() { return count_.fetch_add(0, std::memory_order_acq_rel) != 0; }

}  // namespace locklab
