#include "block/thread_pool.h"

#include <pthread.h>

namespace locklab {

ThreadPool::ThreadPool(unsigned workers)
{
    workers_.reserve(workers);
    for (unsigned i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
}

ThreadPool::~ThreadPool()
{
    {
        std::lock_guard lk(m_);
        stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
}

void ThreadPool::submit(std::function<void()> job)
{
    {
        std::lock_guard lk(m_);
        jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
}

void ThreadPool::work()
{
    pthread_setname_np(pthread_self(), "blk-worker");  // for --lock-stats, lockdep and --trace
    std::unique_lock lk(m_);
    for (;;) {
        cv_.wait(lk, [this] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // stopping, and nothing left to run
        auto job = std::move(jobs_.front());
        jobs_.pop_front();
        lk.unlock();
        job();
        job = nullptr;  // destroy its captures outside the lock
        lk.lock();
    }
}

}  // namespace locklab
