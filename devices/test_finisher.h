// Test finisher: SiFive's "test" device (QEMU's sifive_test; reference notes §6.5), through which a
// bare-metal guest ends the run.
//
// A write to offset 0 (2 or 4 bytes): the low 16 bits are the status, the high 16 bits a code.
//   0x5555 pass  -> ShutdownRequest{Pass, code}
//   0x3333 fail  -> ShutdownRequest{Fail, code}
//   0x7777 reset -> ShutdownRequest{Reset, 0}
// Anything else (or a write elsewhere) is a guest error, logged once and otherwise ignored. Reads
// return 0. What the process exit status becomes is the system layer's decision (QEMU 7.2 exits with
// `code` for both pass and fail, so a failure with code 0 exits 0).
#pragma once

#include <cstdint>
#include <functional>

#include "devices/mmio_device.h"

namespace locklab {

struct ShutdownRequest {
    enum class Kind { Pass, Fail, Reset };
    Kind kind = Kind::Pass;
    int code = 0;  // the guest's 16-bit code (0 for Reset)
};

class TestFinisher final : public MmioDevice {
public:
    static constexpr uint32_t kFail = 0x3333, kPass = 0x5555, kReset = 0x7777;

    using Handler = std::function<void(ShutdownRequest)>;

    explicit TestFinisher(uint64_t region_size);

    // Called on the vCPU thread that wrote the request, under the device lock. Set before the
    // machine runs. Without a handler requests are only logged.
    void set_handler(Handler h) { handler_ = std::move(h); }

private:
    MemTx mmio_read(hwaddr offset, unsigned size, uint64_t& value) override;
    MemTx mmio_write(hwaddr offset, unsigned size, uint64_t value) override;

    Handler handler_;  // set before the machine runs, read-only afterwards
};

}  // namespace locklab
