// BottomHalf handles. Ownership of a Node: the handle owns it until destroyed; destroying the
// handle hands it to the context's BH queue (enqueue with DELETED), which frees it when it next
// dequeues it, so a BH may delete its own handle while its callback runs.
#include "loop/bh_queue.h"
#include "loop/loop_core.h"

namespace locklab {

BottomHalf::~BottomHalf() { node_->ctx->bhs.enqueue(node_, detail::kBhDeleted); }

void BottomHalf::schedule()
{
    if (node_->ctx->bhs.enqueue(node_, detail::kBhScheduled)) node_->ctx->notify();
}

void BottomHalf::schedule_idle()
{
    if (node_->ctx->bhs.enqueue(node_, detail::kBhScheduled | detail::kBhIdle)) node_->ctx->notify();
}

void BottomHalf::cancel() { node_->flags.fetch_and(~unsigned(detail::kBhScheduled)); }

}  // namespace locklab
