// BlockBackend: what a device (virtio-blk) holds: an opened image bound to an AioContext, with
// asynchronous requests whose completions run in that context's home thread (QEMU's BlockBackend +
// the thread pool of block/thread-pool.c). It is a Drainable: a drained section waits until no
// request is in flight, and move_to_context() moves it (and its completions) to another
// AioContext (an IOThread's) without losing a request.
//
// Threading: submit requests from the thread of aio_context() (the device's event loop: the main
// loop or an IOThread), or from a vCPU thread holding the device's lock. The driver call runs on a
// worker thread, except that with AioMode::Nowait (block/aio_mode.h, the default) a read or write
// is first tried in the submitting thread with the driver's non-blocking variant, and only goes to
// a worker if that did not complete it (the worker then does the whole request). Either way `done`
// is scheduled as a one-shot BH in aio_context() (the context current at completion time, which a
// move does not change mid-request because moves drain first): it never runs inside the call that
// submitted the request, and an inline completion costs no cross-thread hand-off when the submitter
// is the context's home thread. The caller's buffers must stay valid until `done` runs.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "block/aio_mode.h"
#include "block/block_driver.h"
#include "loop/drainable.h"

// Added by the block engineer (implementation detail; nothing above changed):
//   - a request submitted while the backend is quiesced (inside a drained section) waits in a queue
//     and starts when the section ends (QEMU's blk_wait_while_drained); it is not in flight
//     meanwhile, so the drain does not wait for it. The destructor drops such queued requests
//     without running their `done`: the device that submitted them is going away too.
//   - the driver calls run on a small pool of worker threads owned by the backend (after the inline
//     attempt of AioMode::Nowait, for reads and writes).
//   - the destructor drains from a thread allowed to (Drainable); from any other thread it waits
//     until the context's home thread has completed the requests in flight.

namespace locklab {

class BlockBackend : public Drainable {
public:
    using Completion = std::function<void(int ret)>;  // 0 or -errno

    // `id` is the drive id (-drive ...,id=d0).
    BlockBackend(std::string id, std::unique_ptr<BlockDriver> driver, AioContext& ctx,
                 AioMode aio = AioMode::Nowait);
    ~BlockBackend() override;  // drains first

    const std::string& id() const { return drain_name(); }
    BlockDriver& driver() { return *driver_; }
    uint64_t length() const { return driver_->length(); }
    AioMode aio_mode() const { return aio_; }

    // AioMode::Nowait's counts since creation: requests the inline attempt completed, and inline
    // attempts that did not (their requests went to the workers).
    uint64_t nowait_completed() const { return nowait_completed_.load(std::memory_order_relaxed); }
    uint64_t nowait_fallbacks() const { return nowait_fallbacks_.load(std::memory_order_relaxed); }

    void read(uint64_t offset, IoVector iov, Completion done);
    void write(uint64_t offset, IoVector iov, Completion done);
    void flush(Completion done);
    void write_zeroes(uint64_t offset, uint64_t bytes, bool may_unmap, Completion done);
    void discard(uint64_t offset, uint64_t bytes, Completion done);

protected:
    void on_drained_begin() override;
    void on_drained_end() override;

private:
    struct Request {
        // The driver call: op(false) blocks (on a worker thread); op(true) is the non-blocking
        // attempt (submitting thread), 0 if it did the whole request.
        std::function<int(bool nowait)> op;
        Completion done;           // runs in aio_context()
        bool try_inline = false;   // a read or write with AioMode::Nowait
    };
    Request data_request(std::function<int(bool nowait)> op, Completion done) const;
    void submit(Request r);
    void run_on_workers(Request r);  // the request is in flight
    void complete(Completion done, int ret);  // any thread: `done` in aio_context(), then not in flight

    const std::unique_ptr<BlockDriver> driver_;  // immutable; thread-safe itself
    const AioMode aio_;                          // immutable
    std::atomic<uint64_t> nowait_completed_{0};  // relaxed: statistics
    std::atomic<uint64_t> nowait_fallbacks_{0};  // relaxed: statistics
    std::mutex m_;                    // orders submit()'s quiesced() check with the drain hooks
    std::deque<Request> queued_;      // protected by m_: submitted while quiesced, not started
    bool closing_ = false;            // protected by m_: the destructor has begun
    std::unique_ptr<class ThreadPool> pool_;  // thread-safe; reset (joined) by the destructor
};

}  // namespace locklab
