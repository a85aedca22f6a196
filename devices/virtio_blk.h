// VirtioBlk: a virtio block device (virtio 1.x spec 5.2; QEMU's hw/block/virtio-blk.c) on a
// BlockBackend. Requests: VIRTIO_BLK_T_IN, OUT, FLUSH, GET_ID (the serial: the `serial` property,
// else the drive id, cut to 20 bytes), DISCARD and WRITE_ZEROES when the backend's driver supports
// them. Features: SEG_MAX, BLK_SIZE, FLUSH, RO for read-only drives (then OUT/DISCARD/WRITE_ZEROES
// complete with IOERR), DISCARD/WRITE_ZEROES when supported. Config: capacity in 512-byte sectors,
// seg_max, blk_size, discard/write-zeroes limits.
//
// One request queue. The device lives in its backend's AioContext (the main loop, or the
// IOThread named by -device ...,iothread=); requests are popped there and the backend's
// completions run there: status byte written last, then the used ring, then the interrupt.
// Requests out of range complete with IOERR, unknown types with UNSUPP; a request without a
// readable header or a writable status byte marks the device broken (as QEMU's virtio_error).
// Moving it to another AioContext (move_to_context, drained) moves the backend along.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "block/block_backend.h"
#include "devices/virtio_device.h"

namespace locklab::virtio_blk {
// Request types, status values and feature bits (spec 5.2).
inline constexpr uint32_t kTIn = 0, kTOut = 1, kTFlush = 4, kTGetId = 8, kTDiscard = 11, kTWriteZeroes = 13;
inline constexpr uint8_t kSOk = 0, kSIoErr = 1, kSUnsupp = 2;
inline constexpr unsigned kFSegMax = 2, kFRo = 5, kFBlkSize = 6, kFFlush = 9, kFDiscard = 13, kFWriteZeroes = 14;
inline constexpr uint32_t kIdBytes = 20;
inline constexpr uint64_t kSectorSize = 512;
}  // namespace locklab::virtio_blk

namespace locklab {

struct VirtioBlkConfig {
    std::string serial;           // GET_ID answer; empty: the drive id
    uint16_t queue_size = 256;    // QueueNum after reset (QEMU's queue-size)
    uint32_t seg_max = 254;       // config seg_max (data segments per request)
};

class VirtioBlk final : public VirtioDevice {
public:
    // `backend`'s AioContext becomes the device's (move the backend to the IOThread first, or
    // move the device afterwards). `dma`: guest-physical memory the rings and buffers live in.
    // Throws std::invalid_argument for a null backend or a queue size that is not a power of two
    // in 1..1024.
    VirtioBlk(std::shared_ptr<BlockBackend> backend, AddressSpace& dma, VirtioBlkConfig cfg = {});
    ~VirtioBlk() override;

    const char* type_name() const override { return "virtio-blk-device"; }
    BlockBackend& backend() const { return *backend_; }

protected:
    uint64_t device_features() const override;
    void read_config_bytes(std::span<uint8_t> config) const override;
    void handle_queue(unsigned q) override;
    void on_context_attached(AioContext& ctx) override;

private:
    struct Request;
    void start(const std::shared_ptr<Request>& req);
    void submit_data(const std::shared_ptr<Request>& req, bool write);
    void submit_range_op(const std::shared_ptr<Request>& req, uint32_t type);
    BlockBackend::Completion completion(const std::shared_ptr<Request>& req);
    void finish(const Request& req, uint8_t status);

    const std::shared_ptr<BlockBackend> backend_;  // immutable pointer; the backend is thread-safe
    const VirtioBlkConfig cfg_;                    // immutable
    const bool read_only_;
    const bool discard_;       // driver supports discard (probed once)
    const bool write_zeroes_;  // driver supports write-zeroes (probed once)
};

}  // namespace locklab
