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
inline constexpr uint64_t kDramBase = 0x8000'0000;
inline constexpr uint64_t kDefaultRamSize = 128ull << 20;

inline constexpr unsigned kUartIrq = 10;
inline constexpr unsigned kRtcIrq = 11;
inline constexpr unsigned kVirtioIrqBase = 1;  // slot i -> 1 + i
inline constexpr unsigned kPlicSources = 96;   // VIRT_IRQCHIP_NUM_SOURCES
inline constexpr unsigned kPlicPriorityBits = 3;

inline constexpr uint64_t kTimebaseHz = 10'000'000;  // CLINT mtime frequency

}  // namespace locklab::virt
