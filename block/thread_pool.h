// ThreadPool: a few worker threads that run blocking jobs (a driver's pread/pwrite/fdatasync) in
// FIFO order (QEMU's util/thread-pool.c without the AioContext part: completions are the job's own
// business). oneTBB's arenas are sized for computation and must not block in system calls, so the
// block layer keeps its own small pool.
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
    explicit ThreadPool(unsigned workers);
    ~ThreadPool();  // runs the jobs still queued, then joins
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    void submit(std::function<void()> job);  // any thread; job must not throw

private:
    void work();

    std::mutex m_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> jobs_;  // protected by m_
    bool stopping_ = false;                   // protected by m_
    std::vector<std::thread> workers_;        // started in the constructor, joined in the destructor
};

}  // namespace locklab
