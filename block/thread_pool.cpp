#include "block/thread_pool.h"

#include <pthread.h>

#include <stdexcept>

namespace locklab {

ThreadPool::ThreadPool(unsigned max_workers) : max_workers_(max_workers)
{
    if (max_workers == 0) throw std::invalid_argument("ThreadPool: at least one worker");
}

ThreadPool::~ThreadPool()
{
    std::vector<std::thread> workers;
    {
        std::lock_guard lk(m_);
        stopping_ = true;
        workers.swap(workers_);  // no submit() may race with the destructor, so none grows it now
    }
    cv_.notify_all();
    for (auto& t : workers) t.join();
}

void ThreadPool::submit(std::function<void()> job)
{
    {
        std::lock_guard lk(m_);
        jobs_.push_back(std::move(job));
        // Every queued job has an idle worker about to take it, or gets a new one.
        if (jobs_.size() > idle_ && workers_.size() < max_workers_) {
            workers_.emplace_back([this] { work(); });
            return;  // the new worker finds the job without a notification
        }
    }
    cv_.notify_one();
}

unsigned ThreadPool::workers()
{
    std::lock_guard lk(m_);
    return unsigned(workers_.size());
}

void ThreadPool::work()
{
    pthread_setname_np(pthread_self(), "blk-worker");  // for --lock-stats, lockdep and --trace
    std::unique_lock lk(m_);
    for (;;) {
        ++idle_;
        cv_.wait(lk, [this] { return stopping_ || !jobs_.empty(); });
        --idle_;
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
