#include "loop/bh_queue.h"

#include "locking/reentrancy_guard.h"

namespace locklab::detail {

namespace {
constexpr int64_t kIdleTimeoutNs = 10'000'000;  // QEMU: idle BHs run within 10 ms

bool owned_by_queue(unsigned flags) { return flags & (kBhDeleted | kBhOneshot); }
}  // namespace

bool BhQueue::enqueue(BottomHalf::Node* n, unsigned flags)
{
    if (closed_.load()) {
        if (owned_by_queue(flags)) delete n;
        return false;
    }
    const unsigned old = n->flags.fetch_or(flags | kBhPending);
    if (old & kBhPending) return true;  // already queued: the poller will see the new flags
    BottomHalf::Node* head = stack_.load();
    do {
        n->next = head;
    } while (!stack_.compare_exchange_weak(head, n));
    return true;
}

void BhQueue::call(BottomHalf::Node* n) noexcept
{
    ReentrancyGuard* guard = n->guard;  // QEMU 7915bd06f2: read before the callback runs
    if (!guard) {
        n->cb();
        return;
    }
    // The device counts as engaged while its BH runs; restore (not clear) afterwards, since the BH
    // may run from a poll nested inside the device's own MMIO handler.
    const bool was_engaged = guard->exchange(true);
    n->cb();
    guard->exchange(was_engaged);
}

bool BhQueue::run()
{
    // Take everything pushed so far and reverse the LIFO stack into a FIFO slice.
    Slice slice;
    for (BottomHalf::Node* n = stack_.exchange(nullptr); n;) {
        BottomHalf::Node* next = n->next;
        n->next = slice.head;
        slice.head = n;
        n = next;
    }
    (slices_tail_ ? slices_tail_->next : slices_) = &slice;
    slices_tail_ = &slice;

    bool progress = false;
    while (Slice* s = slices_) {
        BottomHalf::Node* n = s->head;
        if (!n) {
            slices_ = s->next;
            if (!slices_) slices_tail_ = nullptr;
            continue;
        }
        s->head = n->next;  // before PENDING is cleared: afterwards a scheduler may rewrite next
        const unsigned f = n->flags.fetch_and(~(kBhPending | kBhScheduled | kBhIdle));
        if ((f & (kBhScheduled | kBhDeleted)) == kBhScheduled) {
            if (!(f & kBhIdle)) progress = true;
            call(n);
        }
        if (owned_by_queue(f)) delete n;
    }
    return progress;
}

int64_t BhQueue::timeout_ns() const
{
    int64_t timeout = -1;
    auto scan = [&](BottomHalf::Node* n) {
        for (; n; n = n->next) {
            const unsigned f = n->flags.load();
            if ((f & (kBhScheduled | kBhDeleted)) != kBhScheduled) continue;
            if (!(f & kBhIdle)) return true;
            timeout = kIdleTimeoutNs;
        }
        return false;
    };
    if (scan(stack_.load())) return 0;
    for (const Slice* s = slices_; s; s = s->next)
        if (scan(s->head)) return 0;
    return timeout;
}

void BhQueue::close()
{
    closed_.store(true);
    for (BottomHalf::Node* n = stack_.exchange(nullptr); n;) {
        BottomHalf::Node* next = n->next;
        const unsigned f = n->flags.fetch_and(~(kBhPending | kBhScheduled | kBhIdle));
        if (owned_by_queue(f)) delete n;
        n = next;
    }
}

}  // namespace locklab::detail
