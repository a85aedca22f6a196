// The device tree of the `virt` board, as QEMU's hw/riscv/virt.c generates it for the devices locklab
// has: /cpus (one cpu@N with its interrupt controller per hart), /memory, /soc with the CLINT, PLIC,
// UART, goldfish RTC and test finisher, the syscon poweroff/reboot nodes, and /chosen. The guest
// gets it in a1 at reset.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace locklab {

struct VirtFdtConfig {
    unsigned harts = 1;
    uint64_t ram_size = 0;
    std::string bootargs;  // /chosen/bootargs; omitted when empty
};

// Throws std::runtime_error if libfdt fails (it does not for any valid config).
std::vector<uint8_t> build_virt_fdt(const VirtFdtConfig& cfg);

}  // namespace locklab
