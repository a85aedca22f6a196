// BlockBackend: what a device (virtio-blk) holds: an opened image bound to an AioContext, with
// asynchronous requests whose completions run in that context's home thread (QEMU's BlockBackend +
// the thread pool of block/thread-pool.c). It is a Drainable: a drained section waits until no
// request is in flight, and move_to_context() moves it (and its completions) to another
// AioContext (an IOThread's) without losing a request.
//
// Threading: submit requests from the thread of aio_context() (the device's event loop: the main
// loop or an IOThread), or from a vCPU thread holding the device's lock. The driver call runs on a
// worker thread; `done` is then scheduled in aio_context() (the context current at completion time,
// which a move does not change mid-request because moves drain first). The caller's buffers must
// stay valid until `done` runs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "block/block_driver.h"
#include "loop/drainable.h"

namespace locklab {

class BlockBackend : public Drainable {
public:
    using Completion = std::function<void(int ret)>;  // 0 or -errno

    // `id` is the drive id (-drive ...,id=d0).
    BlockBackend(std::string id, std::unique_ptr<BlockDriver> driver, AioContext& ctx);
    ~BlockBackend() override;  // drains first

    const std::string& id() const { return drain_name(); }
    BlockDriver& driver() { return *driver_; }
    uint64_t length() const { return driver_->length(); }

    void read(uint64_t offset, IoVector iov, Completion done);
    void write(uint64_t offset, IoVector iov, Completion done);
    void flush(Completion done);
    void write_zeroes(uint64_t offset, uint64_t bytes, bool may_unmap, Completion done);
    void discard(uint64_t offset, uint64_t bytes, Completion done);

private:
    const std::unique_ptr<BlockDriver> driver_;  // immutable; thread-safe itself
};

}  // namespace locklab
