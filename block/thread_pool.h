// ThreadPool: worker threads that run blocking jobs (a driver's pread/pwrite/fdatasync) in FIFO
// order (QEMU's util/thread-pool.c without the AioContext part: completions are the job's own
// business). oneTBB's arenas are sized for computation and must not block in system calls, so the
// block layer keeps its own pool.
//
// Like QEMU's, it starts threads on demand: a job that finds no idle worker starts a new one, up
// to max_workers; workers then stay until the pool is destroyed (QEMU lets an idle worker exit
// after 10 s). With a fixed set of 4, a benchmark with 4 requests in flight on an oversubscribed
// host often found every worker busy or not yet back to waiting, and queued behind one.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace locklab {

class ThreadPool {
public:
    explicit ThreadPool(unsigned max_workers);  // starts no thread yet; max_workers >= 1
    ~ThreadPool();  // runs the jobs still queued, then joins
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    void submit(std::function<void()> job);  // any thread; job must not throw
    unsigned workers();                       // threads started so far

private:
    void work();

    const unsigned max_workers_;
    std::mutex m_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> jobs_;  // protected by m_
    bool stopping_ = false;                   // protected by m_
    unsigned idle_ = 0;                       // protected by m_: workers waiting for a job
    std::vector<std::thread> workers_;        // protected by m_ (grown by submit); joined by the destructor
};

}  // namespace locklab
