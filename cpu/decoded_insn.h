// The decoder's output: one DecodedInsn per guest instruction, the single form shared by the
// interpreter, the disassembler and (later) the JIT frontend.
#pragma once

#include <cstdint>
#include <string_view>

namespace locklab::rv {

enum OpFlags : uint8_t {
    OPF_BRANCH = 1,  // may change control flow: ends a decoded block
    OPF_MEM = 2,     // accesses memory (may fault)
    OPF_SYSTEM = 4,  // touches privileged state or may trap: ends a decoded block
};

enum class Op : uint16_t {
#define X(name, mnem, flags) name,
#include "cpu/ops.def"
#undef X
    COUNT
};

std::string_view mnemonic(Op op);
uint8_t op_flags(Op op);

// Register index that absorbs writes to x0: the decoder sets rd = kZeroSink when the encoded rd is
// x0, so semantics can write x[rd] unconditionally and x[0] stays 0. Hart::x has 33 entries.
inline constexpr uint8_t kZeroSink = 32;

// Bits of DecodedInsn::flags.
enum InsnFlags : uint8_t {
    INSN_AQ = 1,  // A extension: acquire
    INSN_RL = 2,  // A extension: release
};

struct DecodedInsn {
    Op op = Op::ILLEGAL;
    uint8_t rd = kZeroSink;  // destination (kZeroSink for x0 or none)
    uint8_t rs1 = 0;         // for CSRR*I: the 5-bit zero-extended immediate
    uint8_t rs2 = 0;
    uint8_t len = 4;         // 2 for compressed encodings, 4 otherwise
    uint8_t flags = 0;       // InsnFlags
    int32_t imm = 0;         // sign-extended immediate; CSR number for Zicsr; pred/succ for FENCE
    uint32_t raw = 0;        // the encoding as fetched (16 significant bits when len == 2)
};

// Decode one instruction. `bits` holds the 32 bits at pc (only the low 16 are used when the low two
// bits are not 0b11). Never fails: unknown or reserved encodings give Op::ILLEGAL.
DecodedInsn decode(uint32_t bits);

// Length in bytes of the instruction whose first 16-bit parcel is `lo16` (2 or 4).
inline unsigned insn_length(uint16_t lo16) { return (lo16 & 3) == 3 ? 4 : 2; }

}  // namespace locklab::rv
