// Where a differential-test program lives in guest memory, and the registers the generator keeps
// for itself. Both engines get a machine with exactly this layout (tests/difftest/machine.h).
//
//   kRamBase   trap handler (fixed code, tests/difftest/handler.cpp), ending in the `done` loop
//   kCtx       handler context (t6 points here): saved t0..t3, the exit ecall's address, the
//              trap count and a 64-entry ring of {cause, tval, epc, mstatus} records
//   kCode      the generated program ("body"), ending with the exit ecall
//   kData      four data pages: the only memory the program's loads, stores and AMOs aim at
//   kPageTables Sv39 tables (identity mappings of the code and data pages), built by the loader
//   kMmio      (outside RAM) one page of a test device: plain byte registers behind the MMIO
//              dispatch path; t5 points here at times
//   kDataAlias (Sv39 only) the data pages again, at another virtual address; t5 points here at times
#pragma once

#include <array>
#include <cstdint>

namespace locklab::rv::difftest {

inline constexpr uint64_t kRamBase = 0x8000'0000;
inline constexpr uint64_t kRamSize = 1 << 20;
inline constexpr uint64_t kPage = 0x1000;
inline constexpr uint64_t kHandler = kRamBase;
inline constexpr uint64_t kCtx = kRamBase + 0x1000;
inline constexpr uint64_t kCode = kRamBase + 0x2000;
inline constexpr uint64_t kCodeLimit = kRamBase + 0x8'0000;
inline constexpr uint64_t kData = kRamBase + 0x8'0000;
inline constexpr unsigned kDataPages = 4;
inline constexpr uint64_t kPageTables = kRamBase + 0xC'0000;
inline constexpr uint64_t kPageTablesEnd = kPageTables + 0x10'000;
inline constexpr uint64_t kMmio = 0x1000'0000;
// Under Sv39, a second virtual address of the data pages (outside RAM: bare mode faults there).
inline constexpr uint64_t kDataAlias = 0x4008'0000;
inline constexpr uint64_t kMmioSize = 0x1000;

// Handler context offsets (from kCtx).
inline constexpr int kCtxExitPc = 32;     // address of the exit ecall: the handler stops there
inline constexpr int kCtxTrapCount = 40;  // traps taken (the ring keeps the last 64)
inline constexpr int kCtxLog = 64;        // ring of 32-byte records

// Registers the program never writes (it may read them).
inline constexpr unsigned kSp = 2;        // data base for c.*sp forms: kData + 0x800 (page 0)
inline constexpr unsigned kS0 = 8;        // data base for c.lw/c.ld/c.sw/c.sd: kData + 0x3000 (page 3)
inline constexpr unsigned kLoop = 25;     // s9: loop counter
inline constexpr unsigned kBad = 26;      // s10: an address that faults (outside RAM or unmapped)
inline constexpr unsigned kBase = 27;     // s11: data base: kData + 0x2000 (pages 1 and 2 at +-2 KiB)
inline constexpr unsigned kTmp = 29;      // t4: written only by the generator's address/jump set-ups
inline constexpr unsigned kAmoBase = 30;  // t5: AMO/LR/SC address, formed from s11, s10 or kMmio
inline constexpr unsigned kCtxReg = 31;   // t6: the trap handler's context pointer

inline constexpr uint64_t kSpValue = kData + 0x800;
inline constexpr uint64_t kS0Value = kData + 0x3000;
inline constexpr uint64_t kBaseValue = kData + 0x2000;

// Registers random instructions may write: every other one except x0.
inline constexpr std::array<uint8_t, 23> kWritable = {1, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14,
                                                      15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 28};

}  // namespace locklab::rv::difftest
