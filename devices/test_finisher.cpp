#include "devices/test_finisher.h"

#include <fmt/format.h>

namespace locklab {

TestFinisher::TestFinisher(uint64_t region_size) : MmioDevice("riscv.sifive.test", region_size, 2, 4)
{
    lock_domain().bql_free = true;  // stateless; the shutdown handler only sets atomics and wakes threads
}

MemTx TestFinisher::mmio_read(hwaddr, unsigned, uint64_t& value)
{
    value = 0;
    return MemTx::Ok;
}

MemTx TestFinisher::mmio_write(hwaddr offset, unsigned, uint64_t value)
{
    if (offset != 0) return reserved_write(offset);
    const auto status = uint32_t(value & 0xffff);
    const auto code = int((value >> 16) & 0xffff);
    ShutdownRequest r;
    switch (status) {
    case kPass: r = {ShutdownRequest::Kind::Pass, code}; break;
    case kFail: r = {ShutdownRequest::Kind::Fail, code}; break;
    case kReset: r = {ShutdownRequest::Kind::Reset, 0}; break;
    default:
        guest_error("unknown finisher status (ignored)", offset);
        return MemTx::Ok;
    }
    if (handler_) handler_(r);
    else fmt::print(stderr, "locklab: test finisher: request {:#x} with no handler\n", status);
    return MemTx::Ok;
}

}  // namespace locklab
