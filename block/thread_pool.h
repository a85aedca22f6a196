// ThreadPool: worker threads that run blocking jobs (a driver's pread/pwrite/fdatasync) in FIFO
// order (QEMU's util/thread-pool.c without the AioContext part: completions are the job's own
// business). oneTBB's arenas are sized for computation and must not block in system calls, so the
// block layer keeps its own pool.
//
// Like QEMU's, it starts threads on demand: a job that finds no idle worker starts a new one, up
// to max_workers; workers then stay until the pool is destroyed (QEMU lets an idle worker exit
// after 10 s). With a fixed set of 4, a benchmark with 4 requests in flight on an oversubscribed
// host often found every worker busy or not yet back to waiting, and queued behind one.
// min_workers start with the pool, in the constructing thread. A worker started later by a
// submitting thread (a vCPU handling a kick) would inherit that thread's scheduling priority
// (--vcpu-nice); it takes the constructing thread's back where the kernel allows (raising a
// priority needs CAP_SYS_NICE or RLIMIT_NICE room), and keeps the submitter's otherwise. Every
// worker asks for locklab's short scheduler slice (loop/thread_scheduling.h).
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
    ThreadPool(unsigned min_workers, unsigned max_workers);  // 1 <= max_workers, min_workers <= max_workers
    ~ThreadPool();  // runs the jobs still queued, then joins
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    void submit(std::function<void()> job);  // any thread; job must not throw
    unsigned workers();                       // threads started so far

private:
    void work();

    void start_worker();  // under m_

    const unsigned max_workers_;
    const int nice_;  // the constructing thread's nice value, which workers take
    std::mutex m_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> jobs_;  // protected by m_
    bool stopping_ = false;                   // protected by m_
    unsigned idle_ = 0;                       // protected by m_: workers waiting for a job
    std::vector<std::thread> workers_;        // protected by m_ (grown by submit); joined by the destructor
};

}  // namespace locklab
