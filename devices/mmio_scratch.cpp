#include "devices/mmio_scratch.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>
#include <vector>

#include "devices/unplug_audit.h"

namespace locklab {
namespace {

std::atomic<uint64_t> g_generations{0};  // atomic: instances may be created on any thread

struct Quarantine {
    std::atomic<bool> on{false};        // atomic: read by every deletion
    std::mutex mutex;                   // leaf lock: protects held
    std::vector<MmioScratch*> held;     // protected by mutex
};
Quarantine& quarantine()
{
    static Quarantine q;
    return q;
}

void busy_wait(uint64_t ns)
{
    if (ns == 0) return;
    const auto end = std::chrono::steady_clock::now() + std::chrono::nanoseconds(ns);
    while (std::chrono::steady_clock::now() < end) {
    }
}

// Adds to a counter only the device lock's holder writes (see the fields' comment).
void bump(std::atomic<uint64_t>& counter, uint64_t by = 1)
{
    counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

}  // namespace

MmioScratch::MmioScratch(uint64_t cost_ns, AioContext& ctx)
    : MmioDevice("mmio-scratch", kRegionSize, 4, 8),
      Drainable("mmio-scratch", ctx),
      generation_(g_generations.fetch_add(1, std::memory_order_relaxed) + 1),
      cost_ns_(std::min(cost_ns, kMaxCostNs))
{
    lock_domain().bql_free = true;
}

void MmioScratch::do_reset() { std::fill(std::begin(data_), std::end(data_), 0); }

void MmioScratch::on_drained_begin()
{
    // A doorbell that saw the device not quiesced holds the device lock until it has counted its
    // request in flight; once we have had the lock, every later doorbell sees quiesced().
    DeviceLockGuard lock(*this);
}

void MmioScratch::do_realize()
{
    if (freed_.load()) return;  // poison(): a quarantined instance starts no backend
    backend_timer_ = aio_context().new_timer(ClockType::Virtual, [this] { on_backend_timer(); });
}

void MmioScratch::do_unrealize()
{
    ejected_at_.store(unplug_audit::advance());
    size_t dropped = 0;
    {
        std::lock_guard lk(backend_mutex_);
        dropped = due_.size();
        due_.clear();
        backend_timer_.reset();  // from the context's home thread: its callback will not run again
    }
    for (size_t i = 0; i < dropped; ++i) dec_in_flight();
}

void MmioScratch::ring_doorbell()
{
    if (quiesced()) {
        guest_error("doorbell while the device is drained (ignored)", kDoorbell);
        return;
    }
    std::lock_guard lk(backend_mutex_);
    if (!backend_timer_) return;  // not realized: no backend (only a caller bypassing dispatch gets here)
    inc_in_flight();              // until the completion has run or was dropped
    due_.insert(clock_ns(ClockType::Virtual) + int64_t(cost_ns()));
    backend_timer_->mod(*due_.begin());
}

void MmioScratch::on_backend_timer()
{
    size_t due = 0;
    {
        std::lock_guard lk(backend_mutex_);
        const int64_t now = clock_ns(ClockType::Virtual);
        for (; !due_.empty() && *due_.begin() <= now; ++due) due_.erase(due_.begin());
        if (!due_.empty()) backend_timer_->mod(*due_.begin());
    }
    // Each completion stays in flight until the lock model has run it or dropped it (unrealized
    // meanwhile): the last copy of the work lets go of its token.
    struct InFlight {
        explicit InFlight(MmioScratch* d) : dev(d) {}
        ~InFlight() { dev->dec_in_flight(); }
        InFlight(const InFlight&) = delete;
        InFlight& operator=(const InFlight&) = delete;
        const Ref<MmioScratch> dev;
    };
    for (size_t i = 0; i < due; ++i) {
        run_async([token = std::make_shared<InFlight>(this)] {
            MmioScratch& d = *token->dev;
            busy_wait(d.cost_ns());
            bump(d.async_done_);
        });
    }
}

bool MmioScratch::begin_access()
{
    if (freed_.load()) {
        unplug_audit::record_freed_access();
        return false;
    }
    if (const uint64_t ejected = ejected_at_.load()) {  // only an ejected instance can see a stale access
        if (auto start = unplug_audit::current_access_start(); start && *start >= ejected)
            unplug_audit::record_stale();
    }
    bump(access_count_);
    busy_wait(cost_ns_.load(std::memory_order_relaxed));
    return true;
}

MemTx MmioScratch::mmio_read(hwaddr offset, unsigned size, uint64_t& value)
{
    if (!begin_access()) return MemTx::DeviceGone;
    const hwaddr reg = offset & ~hwaddr(7);
    uint64_t v = 0;
    if (reg >= kData0 && reg < kData0 + 8 * kDataRegs) {
        v = data_[(reg - kData0) / 8];
    } else {
        switch (reg) {
        case kMagicReg: v = kMagic; break;
        case kGeneration: v = generation_; break;
        case kCostNs: v = cost_ns(); break;
        case kAccessCount: v = access_count(); break;
        case kWriteCount: v = write_count(); break;
        case kWriteSum: v = write_sum(); break;
        case kAsyncDone: v = async_done(); break;
        default: return reserved_read(offset, value);
        }
    }
    value = reg_read_part(v, unsigned(offset - reg), size);
    return MemTx::Ok;
}

MemTx MmioScratch::mmio_write(hwaddr offset, unsigned size, uint64_t value)
{
    if (!begin_access()) return MemTx::DeviceGone;
    const hwaddr reg = offset & ~hwaddr(7);
    const unsigned part = unsigned(offset - reg);
    if (reg >= kData0 && reg < kData0 + 8 * kDataRegs) {
        uint64_t& d = data_[(reg - kData0) / 8];
        d = reg_write_part(d, part, size, value);
        bump(write_count_);
        bump(write_sum_, value);
    } else if (reg == kCostNs) {
        cost_ns_.store(std::min(reg_write_part(cost_ns(), part, size, value), kMaxCostNs));
    } else if (reg == kDoorbell) {
        ring_doorbell();
    } else {
        return reserved_write(offset);
    }
    return MemTx::Ok;
}

void MmioScratch::poison()
{
    freed_.store(true);
    if (!realized()) realize();  // what reused memory would look like to a stale access
}

void MmioScratch::set_quarantine(bool on) { quarantine().on.store(on); }

size_t MmioScratch::quarantined()
{
    std::lock_guard lk(quarantine().mutex);
    return quarantine().held.size();
}

void MmioScratch::release_quarantine()
{
    std::vector<MmioScratch*> held;
    {
        std::lock_guard lk(quarantine().mutex);
        held.swap(quarantine().held);
    }
    for (MmioScratch* p : held) {
        p->~MmioScratch();
        ::operator delete(p);
    }
}

void MmioScratch::operator delete(MmioScratch* p, std::destroying_delete_t)
{
    Quarantine& q = quarantine();
    if (q.on.load()) {
        p->poison();
        std::lock_guard lk(q.mutex);
        q.held.push_back(p);
        return;
    }
    p->~MmioScratch();
    ::operator delete(p);
}

}  // namespace locklab
