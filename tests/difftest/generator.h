// The random program generator: seeded and reproducible (same seed, same options, same program).
//
// A program starts in M-mode with random register values (edge values like 0, -1, INT64_MIN,
// INT32_MIN included) and is a sequence of "units", each one or a few instructions:
//  - RV64I register/immediate ALU and shifts, W forms, LUI/AUIPC; M incl. the division edge cases
//    (x/0, INT_MIN/-1 set up right before the division);
//  - loads/stores (all widths, any alignment) through the data bases s11/sp/s0, and through s10,
//    an address that faults (outside RAM, or unmapped/non-canonical under Sv39);
//  - AMOs and LR/SC (.W and .D, random aq/rl) at s11-relative addresses, some misaligned;
//  - RV64C forms through tests/difftest/rvc_encode.h, reserved encodings included;
//  - forward branches, JAL, JALR, c.j, c.beqz/c.bnez, c.jr/c.jalr, and bounded backward loops
//    (counter s9, at most 5 iterations);
//  - CSR reads and writes (scratch, epc/cause/tval, counters and their enables, mcountinhibit,
//    mip/sip software bits, satp, mstatus/sstatus bits SUM/MXR/MPRV/TW/TSR/TVM/...), unknown and
//    read-only CSRs;
//  - ecall, ebreak, c.ebreak, illegal words, wfi, fence, fence.i, sfence.vma;
//  - entries into the program's lower mode (S or U) by mret or sret; an ecall brings it back to M;
//  - self-modifying code: a loop rewriting its first instruction with or without fence.i, and a
//    store over the very next instruction of a straight-line block (precise SMC, no fence.i).
// Per program: Sv39 on or off (identity tables: code pages executable for the lower mode, data pages
// with random permissions, A/D bits sometimes clear), SUM/MXR and counter enables at random.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tests/difftest/program.h"

namespace locklab::rv::difftest {

struct GeneratorOptions {
    size_t length = 200;  // instructions in the body (approximately: units are not split)
};

Program generate(uint64_t seed, const GeneratorOptions& options = {});

}  // namespace locklab::rv::difftest
