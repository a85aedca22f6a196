#include "locking/lock_impl_queuing.h"

#include <memory>
#include <vector>

namespace locklab {
namespace {

// Home thread only: released nodes, reused by this thread's next acquisitions. A node is free once
// release() returned (the queue no longer refers to it).
thread_local std::vector<std::unique_ptr<tbb::queuing_mutex::scoped_lock>> t_free_nodes;

std::unique_ptr<tbb::queuing_mutex::scoped_lock> take_node()
{
    if (t_free_nodes.empty()) return std::make_unique<tbb::queuing_mutex::scoped_lock>();
    auto n = std::move(t_free_nodes.back());
    t_free_nodes.pop_back();
    return n;
}

}  // namespace

void QueuingLock::lock()
{
    auto node = take_node();
    node->acquire(mutex_);
    holder_ = node.release();
}

bool QueuingLock::try_lock()
{
    auto node = take_node();
    if (!node->try_acquire(mutex_)) {
        t_free_nodes.push_back(std::move(node));
        return false;
    }
    holder_ = node.release();
    return true;
}

void QueuingLock::unlock()
{
    std::unique_ptr<Node> node(holder_);
    holder_ = nullptr;
    node->release();
    t_free_nodes.push_back(std::move(node));
}

}  // namespace locklab
