// The `virt` board's memory map and interrupt numbers (same as QEMU's hw/riscv/virt.c).
#pragma once

#include <cstdint>

namespace locklab::virt {

inline constexpr uint64_t kTestBase = 0x0010'0000, kTestSize = 0x1000;
inline constexpr uint64_t kRtcBase = 0x0010'1000, kRtcSize = 0x1000;
inline constexpr uint64_t kClintBase = 0x0200'0000, kClintSize = 0x1'0000;
inline constexpr uint64_t kPlicBase = 0x0C00'0000, kPlicSize = 0x60'0000;
inline constexpr uint64_t kUartBase = 0x1000'0000, kUartSize = 0x100;
inline constexpr uint64_t kVirtioBase = 0x1000'1000, kVirtioStride = 0x1000, kVirtioSlots = 8;
// locklab's own additions (not in QEMU's virt): the hot-plug controller and the research slots it
// manages (devices/hotplug_controller.h).
inline constexpr uint64_t kHotplugBase = 0x0010'2000, kHotplugSize = 0x1000;
inline constexpr uint64_t kResearchBase = 0x1100'0000, kResearchStride = 0x1000, kResearchSlots = 16;
inline constexpr uint64_t kDramBase = 0x8000'0000;
inline constexpr uint64_t kDefaultRamSize = 128ull << 20;

inline constexpr unsigned kUartIrq = 10;
inline constexpr unsigned kRtcIrq = 11;
inline constexpr unsigned kHotplugIrq = 12;    // a source QEMU's virt leaves free
inline constexpr unsigned kVirtioIrqBase = 1;  // slot i -> 1 + i
inline constexpr unsigned kPlicSources = 96;   // VIRT_IRQCHIP_NUM_SOURCES
inline constexpr unsigned kPlicPriorityBits = 3;

inline constexpr uint64_t kTimebaseHz = 10'000'000;  // CLINT mtime frequency
inline constexpr unsigned kMaxHarts = 512;            // VIRT_CPUS_MAX: the PLIC has 2 contexts per hart
inline constexpr uint64_t kUartClockHz = 3'686'400;   // ns16550a input clock (FDT clock-frequency)

// Interrupt lines of a hart (bit numbers in mip): what the board wires the CLINT and PLIC outputs to.
inline constexpr unsigned kHartMsi = 3;   // machine software interrupt (CLINT msip)
inline constexpr unsigned kHartMti = 7;   // machine timer interrupt (CLINT mtimecmp)
inline constexpr unsigned kHartSei = 9;   // supervisor external interrupt (PLIC context 2N+1)
inline constexpr unsigned kHartMei = 11;  // machine external interrupt (PLIC context 2N)

}  // namespace locklab::virt
