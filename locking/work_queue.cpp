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
#include <utility>

namespace locklab {

void DeferredWork::push(Item item)
{
    deferred_work_enable();  // normally set long before, by the model (work_queue.h)
    queue_.push(std::move(item));
    count_.fetch_add(1, std::memory_order_acq_rel);
}

void DeferredWork::run_held(std::vector<Item>& handled)
{
    Item item;
    while (queue_.try_pop(item)) {
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
