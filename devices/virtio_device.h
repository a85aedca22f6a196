// VirtioDevice: the device half of a virtio device, independent of the transport (QEMU's
// VirtIODevice): device id, features, config space, virtqueues processed in the device's
// AioContext (the main loop or an IOThread), reset, and interrupts raised through the transport it
// is plugged into (VirtioTransport, implemented by devices/virtio_mmio.h).
//
// Two sides, two threads (the "dataplane" split):
//   - the register side: the transport calls the methods under "transport side" on a vCPU thread,
//     holding the transport's device lock (lock model). They never wait for a request: queue
//     set-up, feature commits, DRIVER_OK and reset are queued as commands, QueueNotify sets a bit
//     and signals the host notifier (an EventNotifier, ioeventfd-style) and returns at once; except
//     that a transport without ioeventfd (virtio-mmio's default, as QEMU under TCG) has a device in
//     the main loop run the ring side right there, on the vCPU (kick(q, true)): the same code under
//     the same locks (BQL, ring_mutex_), taken after the transport's device lock;
//   - the ring side: the host notifier's handler, in the home thread of aio_context() (or a vCPU
//     handling its own kick, above), applies the
//     queued commands in order and then calls handle_queue() for every kicked queue; the device's
//     request completions run there too. It never takes the transport's device lock. Where it
//     runs decides whether it takes the BQL (RingSideBql): in the main loop it does, as QEMU's
//     main loop runs every device handler under the BQL, so the device competes with every vCPU
//     access that takes the BQL; in an IOThread it does not (QEMU's dataplane). Lock order: the
//     BQL, then ring_mutex_, then commands_mutex_ (a leaf); below the BQL the ring side takes
//     leaf-side locks (the backend's request queues, the event loop's, the transport's
//     irq_mutex_, which takes only the PLIC's leaf lock), never a device lock, so it cannot
//     invert "a device lock before the BQL" (--lockdep finds no cycle in the block benchmark
//     under the global, per-device and trylock-queue models).
// A reset command waits (without blocking anyone: later commands and kicks just stay queued) until
// every request in flight has completed, then resets the queues and calls device_reset(); so a
// vCPU writing status 0 with requests in flight never deadlocks. From request_reset() on, no new
// request is popped, and requests completing meanwhile neither touch the used ring nor interrupt,
// so no old request shows up in the rings the driver sets up afterwards. Their data may still land
// in their buffers until they complete (unlike QEMU, which drains synchronously under the BQL,
// the vCPU does not wait for the backend): reset_in_progress() says so, and the transport keeps
// showing the old, non-zero device status until it is false. The virtio 1.x spec (2.1.1, "Driver
// Requirements: Device Status Field") says the driver, after writing 0, MUST wait until a read of
// the status returns 0 before re-initialising, so a conforming driver never sees a late write. A
// reset with nothing in flight reads 0 at once, so a driver that does not wait works as on QEMU
// whenever it resets an idle device.
//
// Drained sections (loop/drainable.h; from the main loop or the home thread): drained_begin()
// detaches the host notifier (commands and kicks stay queued) and waits for in_flight() == 0;
// drained_end() re-attaches it in the (possibly new) context and processes what queued meanwhile.
// move_to_context() moves the device between the main loop and an IOThread that way, losing
// nothing; subclasses move their backends along in on_context_attached().
//
// Lifetime: plugged into a transport (VirtioTransport::plug, which realizes it), unplugged (drained,
// unrealized); an unrealized device processes nothing. Destroy it only unplugged.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <source_location>
#include <span>
#include <vector>

#include "devices/virtio_defs.h"
#include "devices/virtqueue.h"
#include "loop/drainable.h"
#include "loop/event_notifier.h"
#include "memory/address_space.h"
#include "qom/device.h"

namespace locklab {

// What a plugged device asks of its transport. Called from the ring side (any thread).
class VirtioTransport {
public:
    // Sets bits in the interrupt status (kIsrUsedBuffer, kIsrConfigChange) and updates the line.
    virtual void raise_interrupt(uint32_t isr_bits) = 0;
    // The device hit a guest error it cannot continue from: status gains DEVICE_NEEDS_RESET (and,
    // for modern transports, a configuration-change interrupt); `what` (a string literal) is logged
    // once per kind.
    virtual void device_broken(const char* what, unsigned queue) = 0;

protected:
    ~VirtioTransport() = default;
};

class VirtioDevice : public Device, public Drainable {
public:
    ~VirtioDevice() override;

    uint32_t device_id() const { return device_id_; }
    unsigned num_queues() const { return unsigned(queues_.size()); }
    // QueueNum after reset (QEMU's queue-size); a driver may choose up to kQueueMaxSize.
    uint16_t queue_max_size() const { return queue_max_; }
    // Features offered: the device's own plus the ring features this implementation supports
    // (INDIRECT_DESC, EVENT_IDX). The transport adds VIRTIO_F_VERSION_1 when modern.
    uint64_t host_features() const;
    // Features the driver accepted (committed by the transport).
    uint64_t driver_features() const { return driver_features_.load(std::memory_order_acquire); }

    // Config space (the transport's window at 0x100). Little-endian, like the guest; bytes beyond
    // the device's config read as 0 and ignore writes. Transport side.
    uint64_t read_config(uint32_t offset, unsigned size) const;
    void write_config(uint32_t offset, unsigned size, uint64_t value);
    uint32_t config_size() const { return uint32_t(config_size_); }

    // --- transport side (a vCPU thread, or any thread, under the transport's device lock) ---
    void bind(VirtioTransport* transport);  // before realize (plug); nullptr after unrealize
    void set_driver_features(uint64_t features);  // already masked by host_features()
    void queue_enable(unsigned q, const VirtQueueConfig& cfg);  // q < num_queues()
    void queue_disable(unsigned q);
    void driver_ok();    // DRIVER_OK set: start processing (kicks every enabled queue once)
    void stop();         // DRIVER_OK cleared without a reset: stop processing
    void request_reset();  // status 0 (or legacy QueuePFN 0): full device reset, asynchronously
    // QueueNotify: returns at once; handle_queue(q) runs on the ring side. `handle_here` (the
    // transport has no ioeventfd): a device in the main loop runs its ring side right here, on the
    // notifying thread, under the BQL (QEMU under TCG: virtio_queue_notify() calls the handler in
    // the vCPU); in an IOThread, or while drained, the host notifier as always.
    void kick(unsigned q, bool handle_here = false);
    // Whether a reset asked for by request_reset() still waits for requests in flight, whose data
    // may still reach guest memory: the transport shows the status from before the reset until
    // then (see above). False as soon as nothing is in flight: no request starts after a reset was
    // requested. Any thread.
    bool reset_in_progress() const;

    // Ring side: whether no command is queued or waiting (tests use it to see a reset finished).
    bool idle() const;

protected:
    // `dma`: the address space the rings and buffers live in (guest RAM); `ctx`: where the ring
    // side runs. `config_size`: bytes of config space, filled by read_config_bytes().
    VirtioDevice(const char* type, uint32_t device_id, unsigned num_queues, uint16_t queue_max,
                 size_t config_size, AddressSpace& dma, AioContext& ctx);

    virtual uint64_t device_features() const = 0;
    // The config space as the guest sees it now (any thread; must be thread-safe).
    virtual void read_config_bytes(std::span<uint8_t> config) const = 0;
    virtual void write_config_bytes(uint32_t /*offset*/, std::span<const uint8_t> /*data*/) {}
    // Ring side: process the queue's available requests (pop(), complete()).
    virtual void handle_queue(unsigned q) = 0;
    // Ring side, nothing in flight: forget per-driver state.
    virtual void device_reset() {}
    // The device moved to `ctx` (drained): move backends along. Main-loop or home thread.
    virtual void on_context_attached(AioContext& /*ctx*/) {}

    // --- ring-side helpers ---
    // What the ring side holds besides ring_mutex_ (taken before it): the BQL while the device's
    // AioContext is the main loop (unless this thread holds it already), nothing in an IOThread.
    // The notifier handler, complete(), complete_batched()'s bottom half and fail_request() take
    // it themselves; a subclass takes it around whatever else its completions do outside those
    // (VirtioBlk's immediate answers write their status byte inside the handler, which holds it;
    // its backend completions write theirs in complete_batched()'s `fill`).
    class RingSideBql {
    public:
        explicit RingSideBql(const VirtioDevice& dev,
                             const std::source_location& site = std::source_location::current());
        ~RingSideBql();
        RingSideBql(const RingSideBql&) = delete;
        RingSideBql& operator=(const RingSideBql&) = delete;

    private:
        bool taken_ = false;  // this guard took the BQL (and releases it)
    };
    // The next request of queue q, counted in flight until complete(); nothing if the queue is
    // empty, not enabled, broken (then the device is marked broken), or the device is quiesced,
    // stopped or unrealized.
    std::optional<VirtQueueElement> pop(unsigned q);
    // Returns `elem` through the used ring (`written` bytes written to its in-buffers), raises the
    // used-buffer interrupt if the driver wants one, and ends its in-flight count.
    void complete(unsigned q, const VirtQueueElement& elem, uint32_t written);
    // complete() for a request whose backend finished it, called in the device's AioContext (a
    // completion callback): the element joins a batch that one bottom half returns, everything
    // that completed meanwhile under one BQL acquisition (in the main loop), one ring_mutex_ and
    // one interrupt decision per queue (QEMU's thread-pool completion BH and the main loop's
    // single BQL acquisition per dispatch do the same). `fill` (may be empty) runs first, under
    // those locks: the device's last writes to the buffers (VirtioBlk: the status byte). The
    // request stays in flight until its batch ran, so drained sections wait for it.
    void complete_batched(unsigned q, VirtQueueElement elem, uint32_t written, std::function<void()> fill);
    // The request cannot be served and the driver broke the device's rules (a malformed request):
    // ends its in-flight count without using the ring, marks the device broken.
    void fail_request(unsigned q, const char* what);
    // Marks the device broken (DEVICE_NEEDS_RESET); queues stop until reset.
    void mark_broken(const char* what, unsigned q);
    AddressSpace& dma() const { return dma_; }

    void do_realize() override;
    void do_unrealize() override;
    void on_drained_begin() override;
    void on_drained_end() override;

private:
    struct Command {
        enum class Kind { Enable, Disable, DriverOk, Stop, Reset } kind;
        unsigned queue = 0;
        VirtQueueConfig cfg{};
    };
    void post(Command c);
    void attach_notifier(AioContext& ctx);
    void detach_notifier(AioContext& ctx);
    void run_ring_side();     // the host notifier's handler
    bool apply_commands();    // false: a reset waits for requests in flight
    void apply(const Command& c);
    void resume_waiting_reset(uint64_t ending = 1);
    void return_batch();      // the bottom half of complete_batched()
    // Under ring_mutex_, after pushing to the queues whose bits are set: the interrupt, if the
    // driver's suppression asks for one (one decision per queue, however many were pushed).
    void notify_used(uint32_t queues);
    bool reset_requested() const { return resets_requested_.load() != resets_applied_.load(); }

    const uint32_t device_id_;
    const uint16_t queue_max_;
    const size_t config_size_;
    AddressSpace& dma_;

    EventNotifier host_notifier_;  // thread-safe (eventfd)
    std::atomic<uint64_t> driver_features_{0};  // atomic: written by the transport side
    std::atomic<uint32_t> kicked_{0};           // atomic: bit q = queue q notified, not yet handled
    std::atomic<VirtioTransport*> transport_{nullptr};  // atomic: set by plug/unplug while drained
    // seq_cst, both: request_reset() bumps resets_requested_ before reset_in_progress() reads
    // in_flight(), pop() counts a request in flight before it reads resets_requested_; so one of
    // them sees the other (a status read of 0 is never followed by a request starting).
    std::atomic<uint64_t> resets_requested_{0};  // bumped by request_reset()
    std::atomic<uint64_t> resets_applied_{0};    // Reset commands applied (ring side writes)

    // Completions waiting for return_batch() (complete_batched()).
    struct Finished {
        unsigned queue;
        VirtQueueElement elem;
        uint32_t written;
        std::function<void()> fill;
    };
    std::mutex finished_mutex_;        // leaf lock: protects finished_ and batch_scheduled_
    std::vector<Finished> finished_;   // protected by finished_mutex_
    bool batch_scheduled_ = false;     // protected by finished_mutex_: a return_batch() is queued

    mutable std::mutex commands_mutex_;  // leaf lock: protects commands_
    std::deque<Command> commands_;       // protected by commands_mutex_; consumed by the ring side

    // Held by the ring side while it runs (the notifier handler, completions; recursive because a
    // request may complete while handle_queue() runs) and by on_drained_begin(), so a handler that
    // was already running when a drained section began has finished (and counted its requests in
    // flight) before the section waits, and none runs inside the section (Drainable's protocol).
    std::recursive_mutex ring_mutex_;
    std::atomic<bool> notifier_attached_{false};  // control side (plug, drain hooks, unplug): one at a time

    // Ring side only (under ring_mutex_; in the home thread of aio_context(), or a vCPU handling a
    // kick of a main-loop device, which also holds the BQL then):
    std::vector<VirtQueue> queues_;
    bool running_ = false;          // DRIVER_OK seen since the last reset
    bool broken_ = false;           // marked broken since the last reset
    bool reset_waiting_ = false;    // a Reset command waits for in-flight requests
    bool in_handler_ = false;       // run_ring_side() is handling the rings (its pops ignore quiesced())
    AioContextNotifiers::Id context_notifier_ = 0;  // immutable after construction
};

}  // namespace locklab
