// Encoders of the RV64C instructions the differential tester generates, written from the C chapter
// of the unprivileged spec (formats CR, CI, CSS, CIW, CL, CS, CA, CB, CJ). Only the bit layout is
// here: what an encoding means is decided by cpu/decode.cpp, the oracle both engines share (so a
// reserved encoding produced here is simply an illegal instruction for both).
// Registers named r3 are x8..x15; immediates are the byte offsets/values before scaling.
#pragma once

#include <cstdint>

namespace locklab::rv::difftest::cenc {

// Bits hi..lo of v, moved down to bit 0.
constexpr uint32_t bits(uint64_t v, unsigned hi, unsigned lo) { return uint32_t(v >> lo) & ((1u << (hi - lo + 1)) - 1); }
constexpr uint32_t r3(unsigned reg) { return (reg - 8) & 7; }

// CI: funct3 | imm[5] | rd | imm[4:0] | op
constexpr uint16_t ci(uint32_t f3, unsigned rd, int64_t imm6, uint32_t op)
{
    return uint16_t(f3 << 13 | bits(uint64_t(imm6), 5, 5) << 12 | rd << 7 | bits(uint64_t(imm6), 4, 0) << 2 | op);
}
constexpr uint16_t c_addi(unsigned rd, int imm) { return ci(0, rd, imm, 1); }
constexpr uint16_t c_addiw(unsigned rd, int imm) { return ci(1, rd, imm, 1); }
constexpr uint16_t c_li(unsigned rd, int imm) { return ci(2, rd, imm, 1); }
constexpr uint16_t c_lui(unsigned rd, int imm6) { return ci(3, rd, imm6, 1); }  // imm6 = nzimm[17:12]
constexpr uint16_t c_slli(unsigned rd, unsigned shamt) { return ci(0, rd, shamt, 2); }
constexpr uint16_t c_addi16sp(int imm)  // nzimm[9|4|6|8:7|5], multiple of 16
{
    const uint64_t u = uint64_t(imm);
    return uint16_t(3u << 13 | bits(u, 9, 9) << 12 | 2u << 7 | bits(u, 4, 4) << 6 | bits(u, 6, 6) << 5 |
                    bits(u, 8, 7) << 3 | bits(u, 5, 5) << 2 | 1);
}
// CB-format ALU ops on rd' (funct2 at 11:10): srli, srai, andi.
constexpr uint16_t cb_alu(uint32_t f2, unsigned rd, int64_t imm6)
{
    return uint16_t(4u << 13 | bits(uint64_t(imm6), 5, 5) << 12 | f2 << 10 | r3(rd) << 7 | bits(uint64_t(imm6), 4, 0) << 2 | 1);
}
constexpr uint16_t c_srli(unsigned rd, unsigned shamt) { return cb_alu(0, rd, shamt); }
constexpr uint16_t c_srai(unsigned rd, unsigned shamt) { return cb_alu(1, rd, shamt); }
constexpr uint16_t c_andi(unsigned rd, int imm) { return cb_alu(2, rd, imm); }
// CA: 100 | bit12 | 11 | rd' | funct2 | rs2' | 01
constexpr uint16_t ca(uint32_t b12, uint32_t f2, unsigned rd, unsigned rs2)
{
    return uint16_t(4u << 13 | b12 << 12 | 3u << 10 | r3(rd) << 7 | f2 << 5 | r3(rs2) << 2 | 1);
}
constexpr uint16_t c_sub(unsigned rd, unsigned rs2) { return ca(0, 0, rd, rs2); }
constexpr uint16_t c_xor(unsigned rd, unsigned rs2) { return ca(0, 1, rd, rs2); }
constexpr uint16_t c_or(unsigned rd, unsigned rs2) { return ca(0, 2, rd, rs2); }
constexpr uint16_t c_and(unsigned rd, unsigned rs2) { return ca(0, 3, rd, rs2); }
constexpr uint16_t c_subw(unsigned rd, unsigned rs2) { return ca(1, 0, rd, rs2); }
constexpr uint16_t c_addw(unsigned rd, unsigned rs2) { return ca(1, 1, rd, rs2); }
// CR: funct4 | rd/rs1 | rs2 | 10
constexpr uint16_t cr(uint32_t f4, unsigned rd, unsigned rs2) { return uint16_t(f4 << 12 | rd << 7 | rs2 << 2 | 2); }
constexpr uint16_t c_mv(unsigned rd, unsigned rs2) { return cr(8, rd, rs2); }
constexpr uint16_t c_add(unsigned rd, unsigned rs2) { return cr(9, rd, rs2); }
constexpr uint16_t c_jr(unsigned rs1) { return cr(8, rs1, 0); }
constexpr uint16_t c_jalr(unsigned rs1) { return cr(9, rs1, 0); }
constexpr uint16_t c_ebreak() { return cr(9, 0, 0); }
constexpr uint16_t c_nop() { return c_addi(0, 0); }
// CIW: c.addi4spn rd', nzuimm[5:4|9:6|2|3]
constexpr uint16_t c_addi4spn(unsigned rd, unsigned uimm)
{
    return uint16_t(bits(uimm, 5, 4) << 11 | bits(uimm, 9, 6) << 7 | bits(uimm, 2, 2) << 6 | bits(uimm, 3, 3) << 5 |
                    r3(rd) << 2);
}
// CL/CS, word: uimm[5:3] at 12:10, uimm[2|6] at 6:5; double: uimm[5:3], uimm[7:6].
constexpr uint16_t cl_w(uint32_t f3, unsigned rs1, unsigned r, unsigned uimm)
{
    return uint16_t(f3 << 13 | bits(uimm, 5, 3) << 10 | r3(rs1) << 7 | bits(uimm, 2, 2) << 6 | bits(uimm, 6, 6) << 5 |
                    r3(r) << 2);
}
constexpr uint16_t cl_d(uint32_t f3, unsigned rs1, unsigned r, unsigned uimm)
{
    return uint16_t(f3 << 13 | bits(uimm, 5, 3) << 10 | r3(rs1) << 7 | bits(uimm, 7, 6) << 5 | r3(r) << 2);
}
constexpr uint16_t c_lw(unsigned rd, unsigned rs1, unsigned uimm) { return cl_w(2, rs1, rd, uimm); }
constexpr uint16_t c_ld(unsigned rd, unsigned rs1, unsigned uimm) { return cl_d(3, rs1, rd, uimm); }
constexpr uint16_t c_sw(unsigned rs2, unsigned rs1, unsigned uimm) { return cl_w(6, rs1, rs2, uimm); }
constexpr uint16_t c_sd(unsigned rs2, unsigned rs1, unsigned uimm) { return cl_d(7, rs1, rs2, uimm); }
// Stack-pointer relative: lwsp uimm[5] at 12, uimm[4:2|7:6] at 6:2; ldsp uimm[5], uimm[4:3|8:6];
// swsp uimm[5:2|7:6] at 12:7; sdsp uimm[5:3|8:6] at 12:7.
constexpr uint16_t c_lwsp(unsigned rd, unsigned uimm)
{
    return uint16_t(2u << 13 | bits(uimm, 5, 5) << 12 | rd << 7 | bits(uimm, 4, 2) << 4 | bits(uimm, 7, 6) << 2 | 2);
}
constexpr uint16_t c_ldsp(unsigned rd, unsigned uimm)
{
    return uint16_t(3u << 13 | bits(uimm, 5, 5) << 12 | rd << 7 | bits(uimm, 4, 3) << 5 | bits(uimm, 8, 6) << 2 | 2);
}
constexpr uint16_t c_swsp(unsigned rs2, unsigned uimm)
{
    return uint16_t(6u << 13 | bits(uimm, 5, 2) << 9 | bits(uimm, 7, 6) << 7 | rs2 << 2 | 2);
}
constexpr uint16_t c_sdsp(unsigned rs2, unsigned uimm)
{
    return uint16_t(7u << 13 | bits(uimm, 5, 3) << 10 | bits(uimm, 8, 6) << 7 | rs2 << 2 | 2);
}
// Control transfers; the offset fields are filled in by set_cj_offset / set_cb_offset at layout.
constexpr uint16_t c_j() { return uint16_t(5u << 13 | 1); }
constexpr uint16_t c_beqz(unsigned rs1) { return uint16_t(6u << 13 | r3(rs1) << 7 | 1); }
constexpr uint16_t c_bnez(unsigned rs1) { return uint16_t(7u << 13 | r3(rs1) << 7 | 1); }
// CJ: offset[11|4|9:8|10|6|7|3:1|5] at 12:2.
constexpr uint16_t set_cj_offset(uint16_t c, int64_t off)
{
    const uint64_t u = uint64_t(off);
    return uint16_t((c & 0xe003) | bits(u, 11, 11) << 12 | bits(u, 4, 4) << 11 | bits(u, 9, 8) << 9 |
                    bits(u, 10, 10) << 8 | bits(u, 6, 6) << 7 | bits(u, 7, 7) << 6 | bits(u, 3, 1) << 3 |
                    bits(u, 5, 5) << 2);
}
// CB branch: offset[8|4:3] at 12:10, offset[7:6|2:1|5] at 6:2.
constexpr uint16_t set_cb_offset(uint16_t c, int64_t off)
{
    const uint64_t u = uint64_t(off);
    return uint16_t((c & 0xe383) | bits(u, 8, 8) << 12 | bits(u, 4, 3) << 10 | bits(u, 7, 6) << 5 |
                    bits(u, 2, 1) << 3 | bits(u, 5, 5) << 2);
}

}  // namespace locklab::rv::difftest::cenc
