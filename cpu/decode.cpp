// The RV64 decoder for 32-bit encodings: RV64I, M, A, Zicsr, Zifencei and the privileged
// instructions (mret, sret, wfi, sfence.vma). Compressed encodings go to decode_compressed.cpp.
//
// Shape: one switch on the major opcode, then funct3/funct7 tables; each instruction format
// (R, I, S, B, U, J in the unprivileged spec) has one builder that fills exactly the fields that
// format has. No allocation, no strings: the interpreter calls this once per instruction of each
// decoded block.
//
// Conventions (cpu/decoded_insn.h): rd = kZeroSink when the encoded rd is x0 or the format has no
// rd; imm is sign-extended; LUI/AUIPC carry the shifted value (imm[31:12] << 12); shifts carry the
// shift amount; CSR instructions carry the zero-extended CSR number in imm and, for the *I forms,
// the 5-bit immediate in rs1; FENCE carries pred << 4 | succ in imm; LR/SC/AMO carry aq/rl in flags.
#include "cpu/decode_fields.h"

namespace locklab::rv {
namespace {

using decoding::bit_to;
using decoding::dest;
using decoding::field;
using decoding::sext;

// Major opcodes (inst[6:0]), from the RV32/64G opcode map.
enum Opcode : uint32_t {
    LOAD = 0x03,
    MISC_MEM = 0x0f,
    OP_IMM = 0x13,
    AUIPC_ = 0x17,
    OP_IMM_32 = 0x1b,
    STORE = 0x23,
    AMO = 0x2f,
    OP = 0x33,
    LUI_ = 0x37,
    OP_32 = 0x3b,
    BRANCH = 0x63,
    JALR_ = 0x67,
    JAL_ = 0x6f,
    SYSTEM = 0x73,
};

constexpr uint32_t funct3(uint32_t i) { return field(i, 14, 12); }
constexpr uint32_t funct7(uint32_t i) { return field(i, 31, 25); }
constexpr uint8_t rd_of(uint32_t i) { return dest(field(i, 11, 7)); }
constexpr uint8_t rs1_of(uint32_t i) { return uint8_t(field(i, 19, 15)); }
constexpr uint8_t rs2_of(uint32_t i) { return uint8_t(field(i, 24, 20)); }

// Immediates of the base formats (unprivileged spec, "Immediate Encoding Variants").
constexpr int32_t imm_i(uint32_t i) { return int32_t(i) >> 20; }
constexpr int32_t imm_s(uint32_t i) { return (int32_t(i) >> 25) * 32 + int32_t(field(i, 11, 7)); }
constexpr int32_t imm_b(uint32_t i)
{
    return sext(bit_to(i, 31, 12) | field(i, 30, 25) << 5 | field(i, 11, 8) << 1 | bit_to(i, 7, 11), 13);
}
constexpr int32_t imm_u(uint32_t i) { return int32_t(i & 0xfffff000u); }
constexpr int32_t imm_j(uint32_t i)
{
    return sext(bit_to(i, 31, 20) | field(i, 30, 21) << 1 | bit_to(i, 20, 11) | (i & 0xff000u), 21);
}

// One builder per format: each sets only the fields the format encodes.
constexpr DecodedInsn illegal(uint32_t i) { return {.op = Op::ILLEGAL, .raw = i}; }
constexpr DecodedInsn r_type(Op op, uint32_t i)
{
    return {.op = op, .rd = rd_of(i), .rs1 = rs1_of(i), .rs2 = rs2_of(i), .raw = i};
}
constexpr DecodedInsn i_type(Op op, uint32_t i, int32_t imm)
{
    return {.op = op, .rd = rd_of(i), .rs1 = rs1_of(i), .imm = imm, .raw = i};
}
constexpr DecodedInsn s_type(Op op, uint32_t i)
{
    return {.op = op, .rs1 = rs1_of(i), .rs2 = rs2_of(i), .imm = imm_s(i), .raw = i};
}
constexpr DecodedInsn b_type(Op op, uint32_t i)
{
    return {.op = op, .rs1 = rs1_of(i), .rs2 = rs2_of(i), .imm = imm_b(i), .raw = i};
}
constexpr DecodedInsn u_type(Op op, uint32_t i) { return {.op = op, .rd = rd_of(i), .imm = imm_u(i), .raw = i}; }
constexpr DecodedInsn j_type(Op op, uint32_t i) { return {.op = op, .rd = rd_of(i), .imm = imm_j(i), .raw = i}; }
constexpr DecodedInsn checked(Op op, DecodedInsn d) { return op == Op::ILLEGAL ? illegal(d.raw) : d; }

using enum Op;

DecodedInsn decode_load(uint32_t i)
{
    static constexpr Op kByFunct3[8] = {LB, LH, LW, LD, LBU, LHU, LWU, ILLEGAL};
    const Op op = kByFunct3[funct3(i)];
    return checked(op, i_type(op, i, imm_i(i)));
}

DecodedInsn decode_store(uint32_t i)
{
    static constexpr Op kByFunct3[8] = {SB, SH, SW, SD, ILLEGAL, ILLEGAL, ILLEGAL, ILLEGAL};
    const Op op = kByFunct3[funct3(i)];
    return checked(op, s_type(op, i));
}

DecodedInsn decode_branch(uint32_t i)
{
    static constexpr Op kByFunct3[8] = {BEQ, BNE, ILLEGAL, ILLEGAL, BLT, BGE, BLTU, BGEU};
    const Op op = kByFunct3[funct3(i)];
    return checked(op, b_type(op, i));
}

// OP-IMM: RV64 shifts take a 6-bit shamt, so only inst[31:26] is funct6.
DecodedInsn decode_op_imm(uint32_t i)
{
    const uint32_t funct6 = field(i, 31, 26);
    const int32_t shamt = int32_t(field(i, 25, 20));
    switch (funct3(i)) {
    case 0: return i_type(ADDI, i, imm_i(i));
    case 1: return funct6 == 0 ? i_type(SLLI, i, shamt) : illegal(i);
    case 2: return i_type(SLTI, i, imm_i(i));
    case 3: return i_type(SLTIU, i, imm_i(i));
    case 4: return i_type(XORI, i, imm_i(i));
    case 5:
        if (funct6 == 0x00) return i_type(SRLI, i, shamt);
        if (funct6 == 0x10) return i_type(SRAI, i, shamt);
        return illegal(i);
    case 6: return i_type(ORI, i, imm_i(i));
    default: return i_type(ANDI, i, imm_i(i));
    }
}

// OP-IMM-32: 5-bit shamt, inst[31:25] is funct7 (shamt[5] set is reserved).
DecodedInsn decode_op_imm_32(uint32_t i)
{
    const uint32_t f7 = funct7(i);
    const int32_t shamt = int32_t(field(i, 24, 20));
    switch (funct3(i)) {
    case 0: return i_type(ADDIW, i, imm_i(i));
    case 1: return f7 == 0 ? i_type(SLLIW, i, shamt) : illegal(i);
    case 5:
        if (f7 == 0x00) return i_type(SRLIW, i, shamt);
        if (f7 == 0x20) return i_type(SRAIW, i, shamt);
        return illegal(i);
    default: return illegal(i);
    }
}

// OP and OP-32 share one layout: funct7 0x00 selects the base operations, 0x20 the alternates
// (sub, sra), 0x01 the M extension; funct3 indexes each row.
struct RegRegTable {
    Op base[8], alternate[8], muldiv[8];
};

constexpr RegRegTable kOp = {
    {ADD, SLL, SLT, SLTU, XOR, SRL, OR, AND},
    {SUB, ILLEGAL, ILLEGAL, ILLEGAL, ILLEGAL, SRA, ILLEGAL, ILLEGAL},
    {MUL, MULH, MULHSU, MULHU, DIV, DIVU, REM, REMU},
};
constexpr RegRegTable kOp32 = {
    {ADDW, SLLW, ILLEGAL, ILLEGAL, ILLEGAL, SRLW, ILLEGAL, ILLEGAL},
    {SUBW, ILLEGAL, ILLEGAL, ILLEGAL, ILLEGAL, SRAW, ILLEGAL, ILLEGAL},
    {MULW, ILLEGAL, ILLEGAL, ILLEGAL, DIVW, DIVUW, REMW, REMUW},
};

template <const RegRegTable& table>
DecodedInsn decode_reg_reg(uint32_t i)
{
    Op op = ILLEGAL;
    switch (funct7(i)) {
    case 0x00: op = table.base[funct3(i)]; break;
    case 0x20: op = table.alternate[funct3(i)]; break;
    case 0x01: op = table.muldiv[funct3(i)]; break;
    default: break;
    }
    return checked(op, r_type(op, i));
}

// A: funct5 = inst[31:27], aq = inst[26], rl = inst[25]; width in funct3 (2 = .w, 3 = .d).
DecodedInsn decode_amo(uint32_t i)
{
    static constexpr Op kWord[32] = {
        AMOADD_W, AMOSWAP_W, LR_W,    SC_W,    AMOXOR_W, ILLEGAL, ILLEGAL, ILLEGAL,   // 0x00..0x07
        AMOOR_W,  ILLEGAL,   ILLEGAL, ILLEGAL, AMOAND_W, ILLEGAL, ILLEGAL, ILLEGAL,   // 0x08..0x0f
        AMOMIN_W, ILLEGAL,   ILLEGAL, ILLEGAL, AMOMAX_W, ILLEGAL, ILLEGAL, ILLEGAL,   // 0x10..0x17
        AMOMINU_W, ILLEGAL,  ILLEGAL, ILLEGAL, AMOMAXU_W, ILLEGAL, ILLEGAL, ILLEGAL,  // 0x18..0x1f
    };
    static constexpr Op kDouble[32] = {
        AMOADD_D, AMOSWAP_D, LR_D,    SC_D,    AMOXOR_D, ILLEGAL, ILLEGAL, ILLEGAL,   // 0x00..0x07
        AMOOR_D,  ILLEGAL,   ILLEGAL, ILLEGAL, AMOAND_D, ILLEGAL, ILLEGAL, ILLEGAL,   // 0x08..0x0f
        AMOMIN_D, ILLEGAL,   ILLEGAL, ILLEGAL, AMOMAX_D, ILLEGAL, ILLEGAL, ILLEGAL,   // 0x10..0x17
        AMOMINU_D, ILLEGAL,  ILLEGAL, ILLEGAL, AMOMAXU_D, ILLEGAL, ILLEGAL, ILLEGAL,  // 0x18..0x1f
    };
    const uint32_t funct5 = field(i, 31, 27);
    Op op = ILLEGAL;
    if (funct3(i) == 2) op = kWord[funct5];
    if (funct3(i) == 3) op = kDouble[funct5];
    const bool is_lr = op == LR_W || op == LR_D;
    if (op == ILLEGAL || (is_lr && rs2_of(i) != 0)) return illegal(i);
    DecodedInsn d = r_type(op, i);
    d.flags = uint8_t((field(i, 26, 26) ? INSN_AQ : 0) | (field(i, 25, 25) ? INSN_RL : 0));
    return d;
}

// FENCE ignores rd, rs1 and fm (reserved fm values behave as a plain fence, as the spec asks);
// FENCE.I ignores imm, rs1 and rd ("base implementations shall ignore these fields").
DecodedInsn decode_misc_mem(uint32_t i)
{
    switch (funct3(i)) {
    case 0: return {.op = FENCE, .imm = int32_t(field(i, 27, 20)), .raw = i};
    case 1: return {.op = FENCE_I, .raw = i};
    default: return illegal(i);
    }
}

DecodedInsn decode_system(uint32_t i)
{
    const int32_t csr = int32_t(field(i, 31, 20));
    switch (funct3(i)) {
    case 0:
        // The privileged instructions are single encodings, except sfence.vma (rs1, rs2).
        switch (i) {
        case 0x00000073: return {.op = ECALL, .raw = i};
        case 0x00100073: return {.op = EBREAK, .raw = i};
        case 0x10200073: return {.op = SRET, .raw = i};
        case 0x30200073: return {.op = MRET, .raw = i};
        case 0x10500073: return {.op = WFI, .raw = i};
        default: break;
        }
        if (funct7(i) == 0x09 && field(i, 11, 7) == 0) return {.op = SFENCE_VMA, .rs1 = rs1_of(i), .rs2 = rs2_of(i), .raw = i};
        return illegal(i);
    case 1: return i_type(CSRRW, i, csr);
    case 2: return i_type(CSRRS, i, csr);
    case 3: return i_type(CSRRC, i, csr);
    case 5: return i_type(CSRRWI, i, csr);
    case 6: return i_type(CSRRSI, i, csr);
    case 7: return i_type(CSRRCI, i, csr);
    default: return illegal(i);
    }
}

DecodedInsn decode32(uint32_t i)
{
    switch (field(i, 6, 0)) {
    case LUI_: return u_type(LUI, i);
    case AUIPC_: return u_type(AUIPC, i);
    case JAL_: return j_type(JAL, i);
    case JALR_: return funct3(i) == 0 ? i_type(JALR, i, imm_i(i)) : illegal(i);
    case BRANCH: return decode_branch(i);
    case LOAD: return decode_load(i);
    case STORE: return decode_store(i);
    case OP_IMM: return decode_op_imm(i);
    case OP_IMM_32: return decode_op_imm_32(i);
    case OP: return decode_reg_reg<kOp>(i);
    case OP_32: return decode_reg_reg<kOp32>(i);
    case AMO: return decode_amo(i);
    case MISC_MEM: return decode_misc_mem(i);
    case SYSTEM: return decode_system(i);
    default: return illegal(i);
    }
}

}  // namespace

DecodedInsn decode(uint32_t bits)
{
    if (insn_length(uint16_t(bits)) == 2) return decoding::decode_compressed(uint16_t(bits));
    return decode32(bits);
}

}  // namespace locklab::rv
