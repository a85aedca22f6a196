#include "devices/virtio_blk.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "block/io_vector.h"

namespace locklab {

using namespace virtio;
using namespace virtio_blk;

namespace {

// struct virtio_blk_config up to and including write_zeroes_may_unmap (spec 5.2.4), little-endian;
// QEMU 7.2 exposes the same 57 bytes (reads beyond give all-ones).
constexpr size_t kConfigSize = 57;
constexpr size_t kCapacity = 0, kSegMax = 12, kBlkSize = 20, kNumQueues = 34, kMaxDiscardSectors = 36,
                 kMaxDiscardSeg = 40, kDiscardAlignment = 44, kMaxWriteZeroesSectors = 48,
                 kMaxWriteZeroesSeg = 52, kWriteZeroesMayUnmap = 56;
constexpr uint32_t kRangeLimitSectors = (1u << 22) - 1;  // per discard/write-zeroes request (QEMU's value)
constexpr uint32_t kTypeBarrier = 0x8000'0000u;     // legacy flag, ignored (as QEMU)

template <class T>
void put_le(std::span<uint8_t> buf, size_t at, T v)
{
    for (size_t i = 0; i < sizeof(T) && at + i < buf.size(); ++i) buf[at + i] = uint8_t(uint64_t(v) >> (8 * i));
}

template <class T>
T get_le(const uint8_t* p)
{
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) v |= T(T(p[i]) << (8 * i));
    return v;
}

// Whether the driver implements an optional operation: a zero-length call answers -ENOTSUP if not.
bool driver_supports(int probe_result) { return probe_result != -ENOTSUP; }

}  // namespace

struct VirtioBlk::Request {
    unsigned queue = 0;
    VirtQueueElement elem;
    uint32_t type = 0;
    uint64_t sector = 0;
    IoVector out;      // after the header: data to write, or discard/write-zeroes segments
    IoVector in;       // before the status byte: where read data / the id goes
    uint8_t* status = nullptr;
};

VirtioBlk::VirtioBlk(std::shared_ptr<BlockBackend> backend, AddressSpace& dma, VirtioBlkConfig cfg)
    : VirtioDevice("virtio-blk-device", kIdBlock, 1, cfg.queue_size, kConfigSize, dma,
                   backend ? backend->aio_context() : throw std::invalid_argument("virtio-blk: no drive")),
      backend_(std::move(backend)),
      cfg_(std::move(cfg)),
      read_only_(backend_->driver().read_only()),
      discard_(!read_only_ && driver_supports(backend_->driver().discard(0, 0))),
      write_zeroes_(!read_only_ && driver_supports(backend_->driver().write_zeroes(0, 0, false)))
{
    if (cfg_.queue_size == 0 || cfg_.queue_size > kQueueMaxSize || !std::has_single_bit(cfg_.queue_size))
        throw std::invalid_argument("virtio-blk: queue size must be a power of two in 1..1024");
}

VirtioBlk::~VirtioBlk() = default;

uint64_t VirtioBlk::device_features() const
{
    uint64_t f = feature(kFSegMax) | feature(kFBlkSize) | feature(kFFlush);
    if (read_only_) f |= feature(kFRo);
    if (discard_) f |= feature(kFDiscard);
    if (write_zeroes_) f |= feature(kFWriteZeroes);
    return f;
}

void VirtioBlk::read_config_bytes(std::span<uint8_t> config) const
{
    std::fill(config.begin(), config.end(), 0);
    put_le<uint64_t>(config, kCapacity, backend_->length() / kSectorSize);
    put_le<uint32_t>(config, kSegMax, cfg_.seg_max);
    put_le<uint32_t>(config, kBlkSize, uint32_t(kSectorSize));
    put_le<uint16_t>(config, kNumQueues, 1);
    put_le<uint32_t>(config, kMaxDiscardSectors, kRangeLimitSectors);
    put_le<uint32_t>(config, kMaxDiscardSeg, 1);
    put_le<uint32_t>(config, kDiscardAlignment, 1);
    put_le<uint32_t>(config, kMaxWriteZeroesSectors, kRangeLimitSectors);
    put_le<uint32_t>(config, kMaxWriteZeroesSeg, 1);
    put_le<uint8_t>(config, kWriteZeroesMayUnmap, 1);
}

void VirtioBlk::on_context_attached(AioContext& ctx) { backend_->move_to_context(ctx); }

void VirtioBlk::handle_queue(unsigned q)
{
    while (std::optional<VirtQueueElement> elem = pop(q)) {
        auto req = std::make_shared<Request>();
        req->queue = q;
        req->elem = std::move(*elem);
        start(req);
    }
}

void VirtioBlk::start(const std::shared_ptr<Request>& req)
{
    // The layout of the buffers is not assumed (QEMU neither): a 16-byte header at the start of
    // the readable part, the status in the last writable byte.
    const IoVector& out = req->elem.out;
    const IoVector& in = req->elem.in;
    const uint64_t out_len = iov_size(out), in_len = iov_size(in);
    if (out_len < 16) return fail_request(req->queue, "virtio-blk request without a 16-byte header");
    if (in_len < 1) return fail_request(req->queue, "virtio-blk request without a writable status byte");
    uint8_t hdr[16];
    iov_to_buffer(iov_slice(out, 0, 16), hdr);
    req->type = get_le<uint32_t>(hdr) & ~kTypeBarrier;
    req->sector = get_le<uint64_t>(hdr + 8);
    req->out = iov_slice(out, 16, out_len - 16);
    req->in = iov_slice(in, 0, in_len - 1);
    req->status = &iov_slice(in, in_len - 1, 1).front()[0];

    switch (req->type) {
    case kTIn:
        return submit_data(req, false);
    case kTOut:
        return submit_data(req, true);
    case kTFlush:
        backend_->flush(completion(req));
        return;
    case kTGetId: {
        uint8_t id[kIdBytes] = {};
        const std::string& serial = cfg_.serial.empty() ? backend_->id() : cfg_.serial;
        std::memcpy(id, serial.data(), std::min<size_t>(serial.size(), kIdBytes));
        const uint64_t n = std::min<uint64_t>(iov_size(req->in), kIdBytes);
        iov_from_buffer(iov_slice(req->in, 0, n), id);
        return finish(*req, kSOk);
    }
    case kTDiscard:
        if (!discard_) return finish(*req, kSUnsupp);
        return submit_range_op(req, kTDiscard);
    case kTWriteZeroes:
        if (!write_zeroes_) return finish(*req, kSUnsupp);
        return submit_range_op(req, kTWriteZeroes);
    default:
        return finish(*req, kSUnsupp);
    }
}

void VirtioBlk::submit_data(const std::shared_ptr<Request>& req, bool write)
{
    const IoVector& data = write ? req->out : req->in;
    const uint64_t bytes = iov_size(data);
    const uint64_t offset = req->sector * kSectorSize;
    if ((write && read_only_) || bytes % kSectorSize || req->sector > UINT64_MAX / kSectorSize ||
        !range_in_disk(offset, bytes, backend_->length()))
        return finish(*req, kSIoErr);
    auto done = completion(req);
    if (write)
        backend_->write(offset, data, std::move(done));
    else
        backend_->read(offset, data, std::move(done));
}

void VirtioBlk::submit_range_op(const std::shared_ptr<Request>& req, uint32_t type)
{
    // One segment {le64 sector, le32 num_sectors, le32 flags} (max_*_seg = 1).
    if (iov_size(req->out) != 16) return finish(*req, kSUnsupp);
    uint8_t seg[16];
    iov_to_buffer(req->out, seg);
    const uint64_t sector = get_le<uint64_t>(seg);
    const uint32_t sectors = get_le<uint32_t>(seg + 8), flags = get_le<uint32_t>(seg + 12);
    const bool unmap = flags & 1;
    if ((flags & ~1u) || (type == kTDiscard && unmap)) return finish(*req, kSUnsupp);
    if (sectors > kRangeLimitSectors || sector > UINT64_MAX / kSectorSize ||
        !range_in_disk(sector * kSectorSize, uint64_t(sectors) * kSectorSize, backend_->length()))
        return finish(*req, kSIoErr);
    auto done = completion(req);
    if (type == kTDiscard)
        backend_->discard(sector * kSectorSize, uint64_t(sectors) * kSectorSize, std::move(done));
    else
        backend_->write_zeroes(sector * kSectorSize, uint64_t(sectors) * kSectorSize, unmap, std::move(done));
}

BlockBackend::Completion VirtioBlk::completion(const std::shared_ptr<Request>& req)
{
    // `this` without a reference: the request is in flight, so the device cannot go before it
    // completes (unplug drains). A reference here could make a backend worker thread, which may
    // destroy its copy of the closure last, the one to free the device and its backend.
    return [this, req](int ret) {
        // The status byte, the used ring and the interrupt in one batch with whatever else
        // completed meanwhile (in the main loop: under one BQL acquisition, as in QEMU).
        const uint8_t status = ret ? kSIoErr : kSOk;
        const uint32_t written = uint32_t(iov_size(req->elem.in));
        uint8_t* const at = req->status;
        complete_batched(req->queue, std::move(req->elem), written, [at, status] { *at = status; });
    };
}

void VirtioBlk::finish(const Request& req, uint8_t status)
{
    *req.status = status;  // last byte the device writes; then the used ring, then the interrupt
    complete(req.queue, req.elem, uint32_t(iov_size(req.elem.in)));
}

}  // namespace locklab
