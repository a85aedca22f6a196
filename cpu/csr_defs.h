// Numbers and bit fields of the privileged architecture's CSRs (RISC-V privileged spec v1.12),
// shared by csr.cpp, trap.cpp, mmu.cpp, privileged.cpp, the disassembler and the tests.
#pragma once

#include <cstdint>
#include <string>

namespace locklab::rv {

// CSR numbers: csr::mstatus, csr::satp, ... (cpu/csrs.def).
namespace csr {
enum Number : uint16_t {
#define X(name, number) name = number,
#include "cpu/csrs.def"
#undef X
};

// Numbered ranges. Bounds are inclusive.
inline constexpr uint16_t hpmcounter3 = 0xC03, hpmcounter31 = 0xC1F;
inline constexpr uint16_t mhpmcounter3 = 0xB03, mhpmcounter31 = 0xB1F;
inline constexpr uint16_t mhpmevent3 = 0x323, mhpmevent31 = 0x33F;
inline constexpr uint16_t pmpcfg0 = 0x3A0, pmpcfg15 = 0x3AF;  // RV64: only the even ones exist
inline constexpr uint16_t pmpaddr0 = 0x3B0, pmpaddr63 = 0x3EF;

// Encoding conventions of the CSR address (spec 2.1): bits 11:10 = 0b11 means read-only,
// bits 9:8 give the lowest privilege that may access it.
constexpr bool is_read_only(uint16_t number) { return (number >> 10) == 3; }
constexpr unsigned min_priv(uint16_t number) { return (number >> 8) & 3; }
}  // namespace csr

// Name of a CSR this hart implements ("mstatus", "hpmcounter7", ...), or "" for any other number.
std::string csr_name(uint16_t number);

inline constexpr uint64_t bit(unsigned n) { return uint64_t(1) << n; }

// mstatus / sstatus fields (RV64).
inline constexpr uint64_t MSTATUS_SIE = bit(1);
inline constexpr uint64_t MSTATUS_MIE = bit(3);
inline constexpr uint64_t MSTATUS_SPIE = bit(5);
inline constexpr uint64_t MSTATUS_UBE = bit(6);
inline constexpr uint64_t MSTATUS_MPIE = bit(7);
inline constexpr uint64_t MSTATUS_SPP = bit(8);
inline constexpr uint64_t MSTATUS_VS = uint64_t(3) << 9;
inline constexpr unsigned MSTATUS_MPP_SHIFT = 11;
inline constexpr uint64_t MSTATUS_MPP = uint64_t(3) << MSTATUS_MPP_SHIFT;
inline constexpr uint64_t MSTATUS_FS = uint64_t(3) << 13;
inline constexpr uint64_t MSTATUS_XS = uint64_t(3) << 15;
inline constexpr uint64_t MSTATUS_MPRV = bit(17);
inline constexpr uint64_t MSTATUS_SUM = bit(18);
inline constexpr uint64_t MSTATUS_MXR = bit(19);
inline constexpr uint64_t MSTATUS_TVM = bit(20);
inline constexpr uint64_t MSTATUS_TW = bit(21);
inline constexpr uint64_t MSTATUS_TSR = bit(22);
inline constexpr uint64_t MSTATUS_UXL = uint64_t(3) << 32;
inline constexpr uint64_t MSTATUS_SXL = uint64_t(3) << 34;
inline constexpr uint64_t MSTATUS_SD = bit(63);
inline constexpr uint64_t MSTATUS_XL_64 = (uint64_t(2) << 32) | (uint64_t(2) << 34);  // UXL = SXL = 64

// mip / mie bits (1 << Irq).
inline constexpr uint64_t MIP_SSIP = bit(1), MIP_MSIP = bit(3);
inline constexpr uint64_t MIP_STIP = bit(5), MIP_MTIP = bit(7);
inline constexpr uint64_t MIP_SEIP = bit(9), MIP_MEIP = bit(11);
inline constexpr uint64_t S_INTERRUPTS = MIP_SSIP | MIP_STIP | MIP_SEIP;
inline constexpr uint64_t M_INTERRUPTS = MIP_MSIP | MIP_MTIP | MIP_MEIP;

// mcause / scause: interrupt flag.
inline constexpr uint64_t CAUSE_INTERRUPT = bit(63);

// mtvec / stvec.
inline constexpr uint64_t TVEC_MODE = 3;  // 0 = direct, 1 = vectored
inline constexpr uint64_t TVEC_VECTORED = 1;

// satp (RV64).
inline constexpr unsigned SATP_MODE_SHIFT = 60;
inline constexpr uint64_t SATP_MODE_BARE = 0, SATP_MODE_SV39 = 8;
inline constexpr uint64_t SATP_PPN = (uint64_t(1) << 44) - 1;

// mcounteren / scounteren / mcountinhibit bits.
inline constexpr uint64_t COUNTER_CY = bit(0), COUNTER_TM = bit(1), COUNTER_IR = bit(2);

// Sv39 page-table entry.
inline constexpr uint64_t PTE_V = bit(0), PTE_R = bit(1), PTE_W = bit(2), PTE_X = bit(3);
inline constexpr uint64_t PTE_U = bit(4), PTE_G = bit(5), PTE_A = bit(6), PTE_D = bit(7);
inline constexpr unsigned PTE_PPN_SHIFT = 10;
inline constexpr uint64_t PTE_PPN = (uint64_t(1) << 44) - 1;       // after shifting right by 10
inline constexpr uint64_t PTE_RESERVED = ~((uint64_t(1) << 54) - 1);  // bits 63:54 (N, PBMT, reserved)

}  // namespace locklab::rv
