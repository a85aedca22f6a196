#include "block/block_backend.h"

#include <chrono>
#include <stdexcept>
#include <thread>

#include "block/thread_pool.h"

namespace locklab {

namespace {
// Blocking driver calls in parallel per backend: kMinWorkers threads from the start (in the thread
// that opens the drive, so they keep its priority: block/thread_pool.h), more on demand up to QEMU's
// thread pool's default maximum.
constexpr unsigned kMinWorkers = 4, kMaxWorkers = 64;
}  // namespace

BlockBackend::BlockBackend(std::string id, std::unique_ptr<BlockDriver> driver, AioContext& ctx, AioMode aio)
    : Drainable(std::move(id), ctx), driver_(std::move(driver)), aio_(aio)
{
    if (!driver_) throw std::invalid_argument("BlockBackend '" + drain_name() + "' without a driver");
    pool_ = std::make_unique<ThreadPool>(kMinWorkers, kMaxWorkers);
}

BlockBackend::~BlockBackend()
{
    {
        std::lock_guard lk(m_);
        closing_ = true;
        queued_.clear();
    }
    if (in_flight() > 0) {
        try {
            drained_begin();  // completions run in aio_context(); see Drainable for who may wait
            drained_end();
        } catch (const DrainError&) {
            // A thread that may not poll: the context's own thread completes the requests.
            while (in_flight() > 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
    }
    pool_.reset();
}

BlockBackend::Request BlockBackend::data_request(std::function<int(bool nowait)> op, Completion done) const
{
    return {std::move(op), std::move(done), aio_ == AioMode::Nowait};
}

void BlockBackend::read(uint64_t offset, IoVector iov, Completion done)
{
    submit(data_request([this, offset, iov = std::move(iov)](bool nowait) {
        return nowait ? driver_->try_read_nowait(offset, iov) : driver_->read(offset, iov);
    }, std::move(done)));
}

void BlockBackend::write(uint64_t offset, IoVector iov, Completion done)
{
    submit(data_request([this, offset, iov = std::move(iov)](bool nowait) {
        return nowait ? driver_->try_write_nowait(offset, iov) : driver_->write(offset, iov);
    }, std::move(done)));
}

void BlockBackend::flush(Completion done)
{
    submit({[this](bool) { return driver_->flush(); }, std::move(done)});
}

void BlockBackend::write_zeroes(uint64_t offset, uint64_t bytes, bool may_unmap, Completion done)
{
    submit({[this, offset, bytes, may_unmap](bool) { return driver_->write_zeroes(offset, bytes, may_unmap); },
            std::move(done)});
}

void BlockBackend::discard(uint64_t offset, uint64_t bytes, Completion done)
{
    submit({[this, offset, bytes](bool) { return driver_->discard(offset, bytes); }, std::move(done)});
}

void BlockBackend::submit(Request r)
{
    {
        std::lock_guard lk(m_);
        if (closing_) return;
        if (quiesced()) {
            queued_.push_back(std::move(r));
            return;
        }
        inc_in_flight();  // under m_, so a drain that began meanwhile sees it (Drainable's protocol)
    }
    // In flight from here on, whichever way it completes: a drain waits for it. The inline attempt
    // runs outside m_ (it makes a system call); it never blocks.
    if (r.try_inline) {
        if (r.op(true) == 0) {
            nowait_completed_.fetch_add(1, std::memory_order_relaxed);
            complete(std::move(r.done), 0);
            return;
        }
        nowait_fallbacks_.fetch_add(1, std::memory_order_relaxed);  // the worker redoes all of it
    }
    run_on_workers(std::move(r));
}

void BlockBackend::run_on_workers(Request r)
{
    pool_->submit([this, r = std::move(r)]() mutable { complete(std::move(r.done), r.op(false)); });
}

void BlockBackend::complete(Completion done, int ret)
{
    // In flight until `done` has run, so a drain (and thus a context move) waits for it: the
    // context read here is the one `done` runs in.
    aio_context().schedule_oneshot([this, done = std::move(done), ret] {
        if (done) done(ret);
        dec_in_flight();
    });
}

void BlockBackend::on_drained_begin()
{
    std::lock_guard lk(m_);  // a submit() between its quiesced() check and inc_in_flight finishes first
}

void BlockBackend::on_drained_end()
{
    std::lock_guard lk(m_);
    if (closing_) return;
    // Straight to the workers, without an inline attempt: a rare path, and the attempt's system
    // calls would run under m_.
    while (!queued_.empty()) {
        inc_in_flight();
        run_on_workers(std::move(queued_.front()));
        queued_.pop_front();
    }
}

}  // namespace locklab
