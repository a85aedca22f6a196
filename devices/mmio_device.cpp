#include "devices/mmio_device.h"

#include <stdexcept>

#include <fmt/format.h>

#include "loop/aio_context.h"

namespace locklab {

MmioDevice::MmioDevice(const char* type, uint64_t size, unsigned min_access, unsigned max_access)
    : Device(type),
      type_(type),
      region_(this, type, size,
              MmioOps{
                  [this](hwaddr off, unsigned sz, uint64_t& v) { return mmio_read(off, sz, v); },
                  [this](hwaddr off, unsigned sz, uint64_t v) { return mmio_write(off, sz, v); },
                  min_access,
                  max_access,
                  false,
              })
{
}

void MmioDevice::reset()
{
    DeviceLockGuard lock(*this);
    if (realized()) do_reset();
}

MmioDevice::DeviceLockGuard::DeviceLockGuard(MmioDevice& d, const std::source_location& site)
    : hold_(lock_model_for(d.lock_domain()).enter(d.lock_domain(), site))
{
    if (hold_.refused())
        throw std::logic_error(fmt::format("{}: device lock wanted while holding the BQL (lock order: "
                                           "device lock first, then the BQL)",
                                           d.type_name()));
}

namespace {

// An event loop as the lock models' executor: deferred work runs there as a one-shot BH.
AsyncExecutor executor_for(AioContext& ctx)
{
    return {[](void* c, AsyncWork w) { static_cast<AioContext*>(c)->schedule_oneshot(std::move(w)); }, &ctx};
}

}  // namespace

void MmioDevice::submit_async(AsyncWork work, const std::source_location& site)
{
    AioContext* ctx = current_context();
    if (!ctx) {  // not an event loop's thread: nowhere to defer to, so wait for the lock here
        DeviceLockGuard lock(*this, site);
        work();
        return;
    }
    const AsyncExecutor ex = executor_for(*ctx);
    LockDomain& d = lock_domain();
    if (lock_model_for(d).run_async(d, work, ex, site) == AsyncOutcome::Skipped)
        ex.post([this, work, site] { submit_async(work, site); });  // `work` keeps this device alive
}

void MmioDevice::guest_error(const char* what, hwaddr offset)
{
    std::lock_guard lk(log_mutex_);
    ++error_count_;
    if (!logged_.insert(what).second) return;
    fmt::print(stderr, "locklab: {}{}{}: guest error: {} (offset {:#x}; reported once)\n", type_,
               id().empty() ? "" : " ", id(), what, offset);
}

MemTx MmioDevice::reserved_read(hwaddr offset, uint64_t& value)
{
    guest_error("read of a register that does not exist (reads as 0)", offset);
    value = 0;
    return MemTx::Ok;
}

MemTx MmioDevice::reserved_write(hwaddr offset)
{
    guest_error("write to a register that does not exist or is read-only (ignored)", offset);
    return MemTx::Ok;
}

uint64_t MmioDevice::guest_errors() const
{
    std::lock_guard lk(log_mutex_);
    return error_count_;
}

}  // namespace locklab
