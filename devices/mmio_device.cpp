#include "devices/mmio_device.h"

#include <fmt/format.h>

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
    DeviceLockGuard lock;
    if (realized()) do_reset();
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
