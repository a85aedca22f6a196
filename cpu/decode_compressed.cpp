// The RV64C decoder: every 16-bit encoding becomes the 32-bit operation it expands to, with
// len = 2 and raw = the 16-bit parcel (the disassembler prints the c. form from raw).
//
// Per the C chapter of the unprivileged spec: reserved encodings are ILLEGAL (nzimm/nzuimm = 0 where
// the spec reserves it, c.addiw/c.lwsp/c.ldsp/c.jr with x0, the all-zero parcel, funct3 = 100 of
// quadrant 0); HINT encodings (rd = x0, c.addi/c.slli/c.srli/c.srai with a zero immediate, c.nop
// with nonzero imm) decode to the operation they expand to, which has no architectural effect. The
// floating-point loads and stores (c.fld, c.fsd, c.fldsp, c.fsdsp) are ILLEGAL: F/D are not
// implemented.
#include "cpu/decode_fields.h"

namespace locklab::rv::decoding {
namespace {

using enum Op;

// Register fields: full 5-bit (CR/CI/CSS formats) and the 3-bit x8..x15 ones (CIW/CL/CS/CA/CB).
constexpr uint8_t reg_hi(uint32_t c) { return uint8_t(field(c, 11, 7)); }   // rd / rs1
constexpr uint8_t reg_lo(uint32_t c) { return uint8_t(field(c, 6, 2)); }    // rs2
constexpr uint8_t reg_hi3(uint32_t c) { return uint8_t(8 + field(c, 9, 7)); }  // rd' / rs1'
constexpr uint8_t reg_lo3(uint32_t c) { return uint8_t(8 + field(c, 4, 2)); }  // rd' / rs2'

constexpr uint8_t kSp = 2, kRa = 1;

// Immediates, one per encoding layout (the spec's figures list the bit order of each).
constexpr int32_t imm_ci(uint32_t c) { return sext(bit_to(c, 12, 5) | field(c, 6, 2), 6); }
constexpr uint32_t shamt_ci(uint32_t c) { return bit_to(c, 12, 5) | field(c, 6, 2); }
constexpr int32_t imm_lui(uint32_t c) { return sext(bit_to(c, 12, 17) | field(c, 6, 2) << 12, 18); }
constexpr int32_t imm_addi16sp(uint32_t c)
{
    return sext(bit_to(c, 12, 9) | bit_to(c, 6, 4) | bit_to(c, 5, 6) | field(c, 4, 3) << 7 | bit_to(c, 2, 5), 10);
}
constexpr int32_t uimm_addi4spn(uint32_t c)
{
    return int32_t(field(c, 12, 11) << 4 | field(c, 10, 7) << 6 | bit_to(c, 6, 2) | bit_to(c, 5, 3));
}
constexpr int32_t uimm_word(uint32_t c) { return int32_t(field(c, 12, 10) << 3 | bit_to(c, 6, 2) | bit_to(c, 5, 6)); }
constexpr int32_t uimm_double(uint32_t c) { return int32_t(field(c, 12, 10) << 3 | field(c, 6, 5) << 6); }
constexpr int32_t uimm_lwsp(uint32_t c) { return int32_t(bit_to(c, 12, 5) | field(c, 6, 4) << 2 | field(c, 3, 2) << 6); }
constexpr int32_t uimm_ldsp(uint32_t c) { return int32_t(bit_to(c, 12, 5) | field(c, 6, 5) << 3 | field(c, 4, 2) << 6); }
constexpr int32_t uimm_swsp(uint32_t c) { return int32_t(field(c, 12, 9) << 2 | field(c, 8, 7) << 6); }
constexpr int32_t uimm_sdsp(uint32_t c) { return int32_t(field(c, 12, 10) << 3 | field(c, 9, 7) << 6); }
constexpr int32_t imm_cj(uint32_t c)
{
    return sext(bit_to(c, 12, 11) | bit_to(c, 11, 4) | field(c, 10, 9) << 8 | bit_to(c, 8, 10) | bit_to(c, 7, 6) |
                    bit_to(c, 6, 7) | field(c, 5, 3) << 1 | bit_to(c, 2, 5),
                12);
}
constexpr int32_t imm_cb(uint32_t c)
{
    return sext(bit_to(c, 12, 8) | field(c, 11, 10) << 3 | field(c, 6, 5) << 6 | field(c, 4, 3) << 1 | bit_to(c, 2, 5), 9);
}

// The expansion: a 32-bit operation with its operands (rd given as encoded; x0 becomes the sink).
constexpr DecodedInsn expand(uint32_t c, Op op, uint32_t rd, uint8_t rs1, uint8_t rs2, int32_t imm)
{
    return {.op = op, .rd = dest(rd), .rs1 = rs1, .rs2 = rs2, .len = 2, .imm = imm, .raw = c};
}
constexpr DecodedInsn reserved(uint32_t c) { return {.op = ILLEGAL, .len = 2, .raw = c}; }

DecodedInsn quadrant0(uint32_t c)
{
    const uint8_t rs1 = reg_hi3(c), r = reg_lo3(c);
    switch (field(c, 15, 13)) {
    case 0: {  // c.addi4spn (nzuimm = 0 reserved; covers the all-zero parcel)
        const int32_t uimm = uimm_addi4spn(c);
        return uimm == 0 ? reserved(c) : expand(c, ADDI, r, kSp, 0, uimm);
    }
    case 2: return expand(c, LW, r, rs1, 0, uimm_word(c));    // c.lw
    case 3: return expand(c, LD, r, rs1, 0, uimm_double(c));  // c.ld
    case 6: return expand(c, SW, 0, rs1, r, uimm_word(c));    // c.sw
    case 7: return expand(c, SD, 0, rs1, r, uimm_double(c));  // c.sd
    default: return reserved(c);  // c.fld, c.fsd (no F/D) and the reserved funct3 = 100
    }
}

// funct3 = 100 of quadrant 1: shifts, c.andi and the register-register ALU group.
DecodedInsn quadrant1_alu(uint32_t c)
{
    const uint8_t rd = reg_hi3(c), rs2 = reg_lo3(c);
    switch (field(c, 11, 10)) {
    case 0: return expand(c, SRLI, rd, rd, 0, int32_t(shamt_ci(c)));  // c.srli (shamt 0: HINT)
    case 1: return expand(c, SRAI, rd, rd, 0, int32_t(shamt_ci(c)));  // c.srai (shamt 0: HINT)
    case 2: return expand(c, ANDI, rd, rd, 0, imm_ci(c));             // c.andi
    default: break;
    }
    static constexpr Op kAlu[8] = {SUB, XOR, OR, AND, SUBW, ADDW, ILLEGAL, ILLEGAL};
    const Op op = kAlu[bit_to(c, 12, 2) | field(c, 6, 5)];
    return op == ILLEGAL ? reserved(c) : expand(c, op, rd, rd, rs2, 0);
}

DecodedInsn quadrant1(uint32_t c)
{
    const uint8_t r = reg_hi(c);
    switch (field(c, 15, 13)) {
    case 0: return expand(c, ADDI, r, r, 0, imm_ci(c));  // c.addi / c.nop (HINTs included)
    case 1: return r == 0 ? reserved(c) : expand(c, ADDIW, r, r, 0, imm_ci(c));  // c.addiw
    case 2: return expand(c, ADDI, r, 0, 0, imm_ci(c));  // c.li (rd = x0: HINT)
    case 3:
        if (r == kSp) {  // c.addi16sp
            const int32_t imm = imm_addi16sp(c);
            return imm == 0 ? reserved(c) : expand(c, ADDI, kSp, kSp, 0, imm);
        } else {  // c.lui (rd = x0: HINT)
            const int32_t imm = imm_lui(c);
            return imm == 0 ? reserved(c) : expand(c, LUI, r, 0, 0, imm);
        }
    case 4: return quadrant1_alu(c);
    case 5: return expand(c, JAL, 0, 0, 0, imm_cj(c));                 // c.j
    case 6: return expand(c, BEQ, 0, reg_hi3(c), 0, imm_cb(c));        // c.beqz
    default: return expand(c, BNE, 0, reg_hi3(c), 0, imm_cb(c));       // c.bnez
    }
}

DecodedInsn quadrant2(uint32_t c)
{
    const uint8_t r = reg_hi(c), rs2 = reg_lo(c);
    switch (field(c, 15, 13)) {
    case 0: return expand(c, SLLI, r, r, 0, int32_t(shamt_ci(c)));  // c.slli (rd = x0, shamt 0: HINT)
    case 2: return r == 0 ? reserved(c) : expand(c, LW, r, kSp, 0, uimm_lwsp(c));  // c.lwsp
    case 3: return r == 0 ? reserved(c) : expand(c, LD, r, kSp, 0, uimm_ldsp(c));  // c.ldsp
    case 4:
        if (field(c, 12, 12) == 0) {
            if (rs2 != 0) return expand(c, ADD, r, 0, rs2, 0);              // c.mv (rd = x0: HINT)
            return r == 0 ? reserved(c) : expand(c, JALR, 0, r, 0, 0);     // c.jr
        }
        if (rs2 != 0) return expand(c, ADD, r, r, rs2, 0);                  // c.add (rd = x0: HINT)
        if (r == 0) return {.op = EBREAK, .len = 2, .raw = c};              // c.ebreak
        return expand(c, JALR, kRa, r, 0, 0);                               // c.jalr
    case 6: return expand(c, SW, 0, kSp, rs2, uimm_swsp(c));  // c.swsp
    case 7: return expand(c, SD, 0, kSp, rs2, uimm_sdsp(c));  // c.sdsp
    default: return reserved(c);                              // c.fldsp, c.fsdsp (no F/D)
    }
}

}  // namespace

DecodedInsn decode_compressed(uint16_t parcel)
{
    const uint32_t c = parcel;
    switch (c & 3) {
    case 0: return quadrant0(c);
    case 1: return quadrant1(c);
    default: return quadrant2(c);
    }
}

}  // namespace locklab::rv::decoding
