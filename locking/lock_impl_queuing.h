// QueuingLock: oneTBB's queuing_mutex (an MCS queue lock: FIFO, each waiter spins on its own node)
// behind a plain lock()/unlock() interface (`--lock-impl queuing`).
//
// tbb::queuing_mutex is only usable through scoped_lock objects, which are the queue nodes and must
// live until the lock is released. The holder's node is kept in the lock (the lock protects it);
// nodes come from a small per-thread pool, so locking allocates only the first time a thread nests
// that deeply. Not recursive.
#pragma once

#include <oneapi/tbb/queuing_mutex.h>

namespace locklab {

class QueuingLock {
public:
    QueuingLock() = default;
    QueuingLock(const QueuingLock&) = delete;
    QueuingLock& operator=(const QueuingLock&) = delete;

    void lock();
    bool try_lock();
    void unlock();

private:
    using Node = tbb::queuing_mutex::scoped_lock;

    tbb::queuing_mutex mutex_;
    Node* holder_ = nullptr;  // protected by mutex_: the node the current holder acquired with
};

}  // namespace locklab
