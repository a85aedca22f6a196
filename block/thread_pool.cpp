#include "block/thread_pool.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <stdexcept>

#include "loop/thread_scheduling.h"

namespace locklab {

ThreadPool::ThreadPool(unsigned min_workers, unsigned max_workers) : max_workers_(max_workers), nice_(current_thread_nice())
{
    if (max_workers == 0 || min_workers > max_workers)
        throw std::invalid_argument("ThreadPool: needs 1 <= max_workers and min_workers <= max_workers");
    std::lock_guard lk(m_);
    for (unsigned i = 0; i < min_workers; ++i) start_worker();
}

void ThreadPool::start_worker() { workers_.emplace_back([this] { work(); }); }

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
            start_worker();
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
    if (current_thread_nice() != nice_) setpriority(PRIO_PROCESS, id_t(gettid()), nice_);  // best effort (see the header)
    apply_thread_slice();  // locklab's short scheduler slice (best effort)
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
