// Guest disassembler on top of the decoder (one decoder serves the interpreter and this).
//
// Style: GNU objdump's `-D -M no-aliases` on raw code (binutils 2.40, privileged spec 1.12), so a
// line can be checked against objdump: ABI register names; canonical mnemonics, no pseudo-
// instructions (`addi a0,zero,1`, not `li a0,1`); compressed instructions with their `c.` mnemonic
// and operands (`c.addi4spn a0,sp,4`, `c.slli64 a0` for shift amount 0); branch and jump targets
// as absolute addresses (`jal ra,0x80000010`); lui/auipc immediates as the 20-bit field in hex;
// shift amounts in hex; other immediates in signed decimal; CSRs by name where known, else in hex.
// Undecodable words print as objdump prints them: `.4byte 0x...` / `.2byte 0x...` (`c.unimp` for
// the all-zero parcel). objdump's address comments (`# 0x...`) are not printed.
//
// CSR names come from csr_name() (cpu/csr_defs.h), which names the CSRs this hart implements;
// other CSRs print as numbers even where objdump knows a name (tselect, fflags, ...).
//
// Differences from objdump, all on encodings objdump rejects but the spec asks hardware to accept:
// FENCE with a reserved fm or nonzero rd/rs1 prints as `fence pred,succ`, FENCE.I with nonzero
// reserved fields prints as `fence.i`.
#pragma once

#include <cstdint>
#include <string>

#include "cpu/decoded_insn.h"

namespace locklab::rv {

// The instruction at `pc` in objdump's no-aliases syntax, e.g. "auipc t0,0x0".
std::string disassemble(const DecodedInsn& d, uint64_t pc);

// One `-d in_asm` trace line: "0x80000000: 00000297  auipc t0,0x0" (a compressed instruction
// shows its 16-bit encoding, padded so the mnemonics line up). No trailing newline.
std::string format_insn_trace(uint64_t pc, const DecodedInsn& d);

}  // namespace locklab::rv
