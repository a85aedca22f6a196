// ThreadPool: threads started on demand up to the maximum, every job run, queued jobs run before
// the destructor returns.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>

#include "block/thread_pool.h"
#include "loop/kernel_slices.h"
#include "loop/thread_scheduling.h"

using namespace locklab;

namespace {

// Holds the jobs that enter it until opened.
class Latch {
public:
    void enter()
    {
        std::unique_lock lk(m_);
        ++inside_;
        cv_.notify_all();
        cv_.wait(lk, [this] { return open_; });
    }
    void open()
    {
        std::lock_guard lk(m_);
        open_ = true;
        cv_.notify_all();
    }
    bool wait_inside(unsigned n)
    {
        std::unique_lock lk(m_);
        return cv_.wait_for(lk, std::chrono::seconds(10), [&] { return inside_ >= n; });
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    unsigned inside_ = 0;  // protected by m_
    bool open_ = false;    // protected by m_
};

}  // namespace

TEST_CASE("A thread pool starts a worker only when a job finds none idle, up to its maximum", "[block][pool]")
{
    ThreadPool pool(0, 3);
    CHECK(pool.workers() == 0);
    Latch latch;
    std::atomic<int> done{0};
    auto job = [&] {
        latch.enter();
        done.fetch_add(1);
    };
    pool.submit(job);
    pool.submit(job);
    REQUIRE(latch.wait_inside(2));  // two jobs blocked at once: two workers
    CHECK(pool.workers() == 2);
    for (int i = 0; i < 4; ++i) pool.submit(job);
    REQUIRE(latch.wait_inside(3));
    CHECK(pool.workers() == 3);  // the maximum: the other jobs wait in the queue
    latch.open();
    for (int i = 0; i < 1000 && done.load() < 6; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(done.load() == 6);
    CHECK(pool.workers() == 3);
}

TEST_CASE("An idle worker takes the next job instead of a new thread", "[block][pool]")
{
    ThreadPool pool(0, 8);
    for (int i = 0; i < 20; ++i) {
        std::atomic<bool> ran{false};
        pool.submit([&] { ran.store(true); });
        while (!ran.load()) std::this_thread::yield();
        std::this_thread::sleep_for(std::chrono::milliseconds(5));  // let it get back to waiting
    }
    CHECK(pool.workers() <= 2);  // one, unless a job arrived while it was between jobs
}

TEST_CASE("A thread pool's destructor runs the jobs still queued", "[block][pool]")
{
    std::atomic<int> done{0};
    {
        ThreadPool pool(1, 1);
        Latch latch;
        pool.submit([&] { latch.enter(); });
        REQUIRE(latch.wait_inside(1));
        for (int i = 0; i < 5; ++i) pool.submit([&] { done.fetch_add(1); });
        latch.open();
    }
    CHECK(done.load() == 5);
}

TEST_CASE("A thread pool needs at least one worker and a minimum within its maximum", "[block][pool]")
{
    CHECK_THROWS_AS(ThreadPool(0, 0), std::invalid_argument);
    CHECK_THROWS_AS(ThreadPool(3, 2), std::invalid_argument);
    ThreadPool pool(2, 4);
    CHECK(pool.workers() == 2);  // the minimum starts with the pool
}

TEST_CASE("A worker started by a lower-priority submitter takes the pool's priority back where allowed",
          "[block][pool]")
{
    errno = 0;
    const int mine = getpriority(PRIO_PROCESS, id_t(gettid()));
    ThreadPool pool(0, 2);  // no worker yet: the first is started by the submitter below
    std::atomic<int> in_worker{-100};
    std::thread([&] {
        setpriority(PRIO_PROCESS, id_t(gettid()), mine + 3 > 19 ? 19 : mine + 3);  // a vCPU at --vcpu-nice 3
        pool.submit([&] { in_worker.store(getpriority(PRIO_PROCESS, id_t(gettid()))); });
    }).join();
    for (int i = 0; i < 1000 && in_worker.load() == -100; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (geteuid() == 0)
        CHECK(in_worker.load() == mine);  // root may raise it again
    else
        CHECK((in_worker.load() == mine || in_worker.load() == (mine + 3 > 19 ? 19 : mine + 3)));
}

TEST_CASE("Pool workers ask for locklab's scheduler slice", "[block][pool]")
{
    REQUIRE_KERNEL_SLICES();
    set_thread_slice(std::chrono::microseconds(400));
    std::optional<std::chrono::nanoseconds> in_worker;
    {
        ThreadPool pool(0, 1);
        pool.submit([&] { in_worker = this_thread_slice(); });
    }
    set_thread_slice(kDefaultThreadSlice);
    CHECK(in_worker == std::chrono::nanoseconds(std::chrono::microseconds(400)));
}
