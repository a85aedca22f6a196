// VirtQueue: the device side of one split virtqueue (virtio 1.x spec 2.7): descriptor table, driver
// ("available") ring and device ("used") ring in guest RAM. pop() walks the next available chain
// into host spans, push() returns it through the used ring, should_notify() applies the driver's
// notification suppression (VIRTIO_F_EVENT_IDX's used_event, or the NO_INTERRUPT flag).
//
// Everything the guest supplies is validated; the first violation marks the queue broken (error()
// says what) and it does nothing more until reset(): ring addresses misaligned or outside RAM,
// the available index moving by more than the queue size, head or next indexes >= size, chains
// longer than the queue (this catches loops), an indirect descriptor without the feature, nested,
// combined with NEXT, or with a table length that is 0 or not a multiple of 16, zero-length
// buffers, buffers that wrap, lie outside RAM or in MMIO (DMA into MMIO - including the device's
// own registers - is refused, so a device cannot be re-entered through its rings), and
// device-readable buffers after device-writable ones. Nothing the guest writes can crash or hang
// the host: every walk is bounded by the queue size (or the indirect table's length).
//
// Guest memory is reached only through a GuestRam lookup (for a device: AddressSpace::ram_ptr(),
// which answers RAM and nothing else; RAM regions are never removed while the machine runs, so
// the host pointers stay valid). The host is little-endian like the guest.
//
// Threading: one thread at a time, the owning device's AioContext home thread (the caller
// serialises). The guest writes the rings concurrently: ring indexes are read and written with
// acquire/release atomics, as the spec's memory barriers require, descriptors and used elements
// with relaxed ones; pop() and push() pair with the guest's FENCEs (memory/guest_ram_order.h), so
// the device reaches the buffers themselves with plain accesses.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "memory/mem_tx.h"

namespace locklab {

// Where the rings are and what was negotiated; the transport builds it when the driver enables the
// queue (modern: QueueReady; legacy: QueuePFN with QueueNum, QueueAlign and GuestPageSize).
struct VirtQueueConfig {
    uint16_t size = 0;  // entries; a power of two, 1..kQueueMaxSize
    uint64_t desc = 0, avail = 0, used = 0;  // guest-physical addresses of the three parts
    bool indirect = false;   // VIRTIO_F_RING_INDIRECT_DESC negotiated
    bool event_idx = false;  // VIRTIO_F_RING_EVENT_IDX negotiated
};

// One popped descriptor chain: the buffers as host memory inside guest RAM.
struct VirtQueueElement {
    uint16_t head = 0;
    std::vector<std::span<uint8_t>> out;  // device-readable, in chain order
    std::vector<std::span<uint8_t>> in;   // device-writable, in chain order
    uint64_t out_bytes() const;
    uint64_t in_bytes() const;
};

// Host memory for [addr, addr + len) if all of it is guest RAM, else nullptr. Called only with
// len > 0 and no wrap-around.
using GuestRam = std::function<uint8_t*(hwaddr addr, uint64_t len)>;

class VirtQueue {
public:
    explicit VirtQueue(GuestRam ram) : ram_(std::move(ram)) {}

    // Starts using the rings described by `cfg`. Returns false (and the queue is broken) if the
    // rings are not where they may be.
    bool setup(const VirtQueueConfig& cfg);
    void reset();  // back to not set up, not broken
    bool ready() const { return desc_ != nullptr && !broken(); }
    bool broken() const { return error_ != nullptr; }
    const char* error() const { return error_; }  // what broke it (a string literal), or nullptr
    uint16_t size() const { return cfg_.size; }

    // The next available chain, or nothing (ring empty, queue not ready, or just broken).
    std::optional<VirtQueueElement> pop();
    // Whether the driver has made chains available that pop() has not taken.
    bool has_available() const;
    // Returns `elem` through the used ring with `written` bytes written into its in-buffers.
    void push(const VirtQueueElement& elem, uint32_t written);
    // Whether the driver wants an interrupt for what push() added since the last call that said
    // yes (event-idx) or now (NO_INTERRUPT flag clear).
    bool should_notify();

private:
    bool fail(const char* what);
    uint8_t* guest(uint64_t addr, uint64_t len) const;  // RAM only, else nullptr
    bool read_chain(uint16_t head, VirtQueueElement& elem);
    bool add_buffer(uint64_t addr, uint32_t len, uint16_t flags, VirtQueueElement& elem);
    uint16_t load16(const uint8_t* p) const;     // acquire
    uint16_t load16_sc(const uint8_t* p) const;  // seq_cst
    void store16(uint8_t* p, uint16_t v) const;

    GuestRam ram_;  // immutable
    // All fields: the owning device's AioContext home thread only (see above).
    VirtQueueConfig cfg_;
    uint8_t* desc_ = nullptr;   // host views of the three parts, set by setup()
    uint8_t* avail_ = nullptr;
    uint8_t* used_ = nullptr;
    uint16_t last_avail_ = 0;   // next available entry to pop
    uint16_t used_idx_ = 0;     // the used index as the device last published it
    uint16_t signalled_used_ = 0;      // used index at the last interrupt (event-idx)
    bool signalled_used_valid_ = false;
    const char* error_ = nullptr;
};

}  // namespace locklab
