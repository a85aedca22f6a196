// Internal to loop/: the bottom-half list of one context (QEMU's bh_list + bh_slice_list,
// util/async.c).
//
// A BH is queued at most once: the thread that sets its PENDING flag pushes it on a lock-free
// stack (any thread). The polling thread takes the whole stack at once into a "slice" (a local
// FIFO) and runs it; a BH that reschedules itself while running lands on the stack again and so
// runs once per poll, never in a loop. A poll nested inside a BH keeps draining the outer slices
// first (FIFO over all of them).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "loop/aio_context.h"

namespace locklab {

namespace detail {
struct LoopCore;

// Flags of a BH (atomic; set with fetch_or by schedulers, cleared with fetch_and by the poller).
enum BhFlag : unsigned {
    kBhPending = 1,    // on the stack or in a slice, waiting for the poller
    kBhScheduled = 2,  // call the callback when dequeued
    kBhIdle = 4,       // does not count as progress; poll waits at most 10 ms for it
    kBhDeleted = 8,    // its handle is gone: free when dequeued, never call again
    kBhOneshot = 16,   // free after the call
};

}  // namespace detail

struct BottomHalf::Node {
    Node(std::shared_ptr<detail::LoopCore> c, std::function<void()> f, ReentrancyGuard* g)
        : ctx(std::move(c)), cb(std::move(f)), guard(g) {}

    const std::shared_ptr<detail::LoopCore> ctx;  // immutable; keeps the core alive
    const std::function<void()> cb;               // immutable
    ReentrancyGuard* const guard;                 // immutable; may be null
    std::atomic<unsigned> flags{0};               // BhFlag bits, see above
    // Written by the thread that set PENDING, before the push that publishes it; read by the
    // poller after taking the stack, before it clears PENDING. Never touched otherwise.
    Node* next = nullptr;
};

namespace detail {

class BhQueue {
public:
    BhQueue() = default;
    BhQueue(const BhQueue&) = delete;
    BhQueue& operator=(const BhQueue&) = delete;

    // Any thread: set `flags | PENDING`, pushing the node if it was not pending. Returns false
    // (and frees a DELETED or ONESHOT node) if the context is closed. Does not notify.
    bool enqueue(BottomHalf::Node* n, unsigned flags);

    // Polling thread: run what is queued now. True if a non-idle BH ran.
    bool run();

    // Polling thread: 0 if a non-idle BH is scheduled, 10 ms if only idle ones are, else -1.
    int64_t timeout_ns() const;

    // ~AioContext: mark closed, free queued deleted/one-shot BHs without running anything.
    void close();

private:
    struct Slice {
        BottomHalf::Node* head = nullptr;  // FIFO, linked through Node::next
        Slice* next = nullptr;
    };
    static void call(BottomHalf::Node* n) noexcept;  // a throwing callback terminates

    std::atomic<BottomHalf::Node*> stack_{nullptr};  // seq_cst; LIFO of newly pending BHs
    std::atomic<bool> closed_{false};                // seq_cst
    Slice* slices_ = nullptr;       // polling thread only: slices being run (outermost first)
    Slice* slices_tail_ = nullptr;  // polling thread only
};

}  // namespace detail
}  // namespace locklab
