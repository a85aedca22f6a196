// mmio-scratch: locklab's research device for lock-model and hot-plug experiments. Any number of
// instances (cold-plugged with `-device mmio-scratch,id=s0[,cost=NS]`, hot-plugged into the research
// slots of the hot-plug controller, devices/hotplug_controller.h). No interrupt, no DMA. Every access
// is a callback that optionally busy-waits a configurable time, to model device work of a given
// length under whatever lock the lock model took. A doorbell starts asynchronous work (a backend
// completion) that runs in the device's AioContext through the lock model's asynchronous side and
// costs the same time; the device is a Drainable, so hot-unplug waits for that work.
//
// Registers (64 bits each; 4- and 8-byte accesses, a 4-byte access reads or writes one half):
//   0x00 MAGIC         RO  kMagic
//   0x08 GENERATION    RO  this instance's number: unique in the process, from 1, in creation order
//   0x10 COST_NS       RW  busy-wait per access in ns, from the next access on (at most kMaxCostNs)
//   0x18 ACCESS_COUNT  RO  accesses that reached this instance, this one included
//   0x20 WRITE_COUNT   RO  writes to the DATA registers
//   0x28 WRITE_SUM     RO  sum of the values written to the DATA registers, mod 2^64
//   0x30 DOORBELL      WO  any write starts one asynchronous completion: COST_NS later (a backend's
//                          latency, a Virtual-clock timer in the device's AioContext) it runs through
//                          the lock model's asynchronous side and busy-waits COST_NS under the device
//                          lock. Ignored (and logged) while the device is drained; dropped at unrealize.
//   0x38 ASYNC_DONE    RO  asynchronous completions run so far
//   0x40..0x78 DATA0-7 RW  scratch
// Other offsets are reserved: they read as 0, writes are ignored, the guest error is logged once.
//
// Locking: lock class "mmio-scratch"; the device keeps all its state to itself, so it is marked safe
// without the BQL (the per-device model takes only its own lock).
//
// Hot-unplug audit (devices/unplug_audit.h): every access checks whether it started after this
// instance's eject completed (stale), and whether it reached a freed instance. While the quarantine
// is on (tests), a freed instance is kept allocated instead of deleted, marked freed and made to
// look live again (realized), as its memory would if the allocator had given it to a new device: an
// access that reaches it despite the free gets as far as the callback, which counts it and fails
// with DeviceGone. release_quarantine() deletes them for real once nothing can reach them.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>
#include <set>

#include "devices/mmio_device.h"
#include "loop/drainable.h"
#include "loop/main_loop.h"

namespace locklab {

class MmioScratch final : public MmioDevice, public Drainable {
public:
    static constexpr uint64_t kMagic = 0x5343'5254;  // "SCRT"
    static constexpr uint64_t kRegionSize = 0x1000;
    static constexpr uint64_t kMaxCostNs = 1'000'000;
    static constexpr unsigned kDataRegs = 8;
    enum : hwaddr {
        kMagicReg = 0x00, kGeneration = 0x08, kCostNs = 0x10, kAccessCount = 0x18,
        kWriteCount = 0x20, kWriteSum = 0x28, kDoorbell = 0x30, kAsyncDone = 0x38, kData0 = 0x40,
    };

    // cost_ns above kMaxCostNs is clamped. Asynchronous completions run in `ctx`.
    explicit MmioScratch(uint64_t cost_ns = 0, AioContext& ctx = main_context());

    uint64_t generation() const { return generation_; }
    uint64_t cost_ns() const { return cost_ns_.load(std::memory_order_relaxed); }
    uint64_t access_count() const { return access_count_.load(std::memory_order_relaxed); }
    uint64_t write_count() const { return write_count_.load(std::memory_order_relaxed); }
    uint64_t write_sum() const { return write_sum_.load(std::memory_order_relaxed); }
    uint64_t async_done() const { return async_done_.load(std::memory_order_relaxed); }

    // Quarantine of freed instances (see the header comment). Switch it on before creating the
    // instances it should cover; release only when no access can reach a quarantined instance.
    static void set_quarantine(bool on);
    static size_t quarantined();
    static void release_quarantine();

    // Deletion goes through the quarantine when it is on (the destructor then does not run yet).
    static void operator delete(MmioScratch* p, std::destroying_delete_t);

private:
    void do_realize() override;
    void do_unrealize() override;
    MemTx mmio_read(hwaddr offset, unsigned size, uint64_t& value) override;
    MemTx mmio_write(hwaddr offset, unsigned size, uint64_t value) override;
    void do_reset() override;
    void on_drained_begin() override;  // a barrier: doorbells after it see quiesced()

    bool begin_access();  // audit and cost; false: freed instance, fail the access
    void ring_doorbell();     // device lock held
    void on_backend_timer();  // the AioContext's home thread
    void poison();        // freed while quarantined: see the header comment

    const uint64_t generation_;                  // immutable
    std::atomic<uint64_t> cost_ns_;              // atomic: set by the guest, read by every access
    // Written under the device lock only (one writer at a time: bump() is a load and a store, not a
    // locked read-modify-write); atomic so that anyone may read them without the lock.
    std::atomic<uint64_t> access_count_{0};
    std::atomic<uint64_t> write_count_{0};       // as access_count_
    std::atomic<uint64_t> write_sum_{0};         // as access_count_
    std::atomic<uint64_t> async_done_{0};        // as access_count_
    std::atomic<uint64_t> ejected_at_{0};        // atomic: unplug_audit sequence of the eject, 0 before
    std::atomic<bool> freed_{false};             // atomic: set when quarantined, read by accesses
    uint64_t data_[kDataRegs] = {};              // device lock
    std::mutex backend_mutex_;                   // leaf lock: protects due_ and backend_timer_
    std::multiset<int64_t> due_;                 // backend_mutex_: Virtual-clock deadlines pending
    std::unique_ptr<Timer> backend_timer_;       // backend_mutex_: exists while realized
};

}  // namespace locklab
