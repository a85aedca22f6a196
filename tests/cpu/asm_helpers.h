// A tiny RV64 assembler for the execution-core tests: one constexpr function per instruction the
// tests use, built from the base formats of the unprivileged spec ("Base Instruction Formats").
// Written independently of cpu/decode.cpp, so the tests also check the decoder's reading of them.
#pragma once

#include <cstdint>

namespace locklab::rv::test::enc {

// ---- base formats ----
constexpr uint32_t r_type(uint32_t f7, unsigned rs2, unsigned rs1, uint32_t f3, unsigned rd, uint32_t opc)
{
    return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}
constexpr uint32_t i_type(int32_t imm, unsigned rs1, uint32_t f3, unsigned rd, uint32_t opc)
{
    return uint32_t(imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}
constexpr uint32_t s_type(int32_t imm, unsigned rs2, unsigned rs1, uint32_t f3, uint32_t opc)
{
    const uint32_t u = uint32_t(imm);
    return (u >> 5 & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (u & 0x1f) << 7 | opc;
}
constexpr uint32_t b_type(int32_t off, unsigned rs2, unsigned rs1, uint32_t f3)
{
    const uint32_t u = uint32_t(off);
    return (u >> 12 & 1) << 31 | (u >> 5 & 0x3f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (u >> 1 & 0xf) << 8 |
           (u >> 11 & 1) << 7 | 0x63;
}
constexpr uint32_t u_type(int32_t imm20, unsigned rd, uint32_t opc) { return uint32_t(imm20) << 12 | rd << 7 | opc; }
constexpr uint32_t j_type(int32_t off, unsigned rd)
{
    const uint32_t u = uint32_t(off);
    return (u >> 20 & 1) << 31 | (u >> 1 & 0x3ff) << 21 | (u >> 11 & 1) << 20 | (u >> 12 & 0xff) << 12 | rd << 7 |
           0x6f;
}

// ---- RV64I ----
constexpr uint32_t lui(unsigned rd, int32_t imm20) { return u_type(imm20, rd, 0x37); }
constexpr uint32_t auipc(unsigned rd, int32_t imm20) { return u_type(imm20, rd, 0x17); }
constexpr uint32_t jal(unsigned rd, int32_t off) { return j_type(off, rd); }
constexpr uint32_t jalr(unsigned rd, unsigned rs1, int32_t imm) { return i_type(imm, rs1, 0, rd, 0x67); }
constexpr uint32_t beq(unsigned rs1, unsigned rs2, int32_t off) { return b_type(off, rs2, rs1, 0); }
constexpr uint32_t bne(unsigned rs1, unsigned rs2, int32_t off) { return b_type(off, rs2, rs1, 1); }
constexpr uint32_t blt(unsigned rs1, unsigned rs2, int32_t off) { return b_type(off, rs2, rs1, 4); }
constexpr uint32_t bge(unsigned rs1, unsigned rs2, int32_t off) { return b_type(off, rs2, rs1, 5); }
constexpr uint32_t bltu(unsigned rs1, unsigned rs2, int32_t off) { return b_type(off, rs2, rs1, 6); }
constexpr uint32_t bgeu(unsigned rs1, unsigned rs2, int32_t off) { return b_type(off, rs2, rs1, 7); }
constexpr uint32_t lb(unsigned rd, unsigned rs1, int32_t imm) { return i_type(imm, rs1, 0, rd, 0x03); }
constexpr uint32_t lh(unsigned rd, unsigned rs1, int32_t imm) { return i_type(imm, rs1, 1, rd, 0x03); }
constexpr uint32_t lw(unsigned rd, unsigned rs1, int32_t imm) { return i_type(imm, rs1, 2, rd, 0x03); }
constexpr uint32_t ld(unsigned rd, unsigned rs1, int32_t imm) { return i_type(imm, rs1, 3, rd, 0x03); }
constexpr uint32_t lbu(unsigned rd, unsigned rs1, int32_t imm) { return i_type(imm, rs1, 4, rd, 0x03); }
constexpr uint32_t lhu(unsigned rd, unsigned rs1, int32_t imm) { return i_type(imm, rs1, 5, rd, 0x03); }
constexpr uint32_t lwu(unsigned rd, unsigned rs1, int32_t imm) { return i_type(imm, rs1, 6, rd, 0x03); }
constexpr uint32_t sb(unsigned rs2, unsigned rs1, int32_t imm) { return s_type(imm, rs2, rs1, 0, 0x23); }
constexpr uint32_t sh(unsigned rs2, unsigned rs1, int32_t imm) { return s_type(imm, rs2, rs1, 1, 0x23); }
constexpr uint32_t sw(unsigned rs2, unsigned rs1, int32_t imm) { return s_type(imm, rs2, rs1, 2, 0x23); }
constexpr uint32_t sd(unsigned rs2, unsigned rs1, int32_t imm) { return s_type(imm, rs2, rs1, 3, 0x23); }
constexpr uint32_t addi(unsigned rd, unsigned rs1, int32_t imm) { return i_type(imm, rs1, 0, rd, 0x13); }
constexpr uint32_t slti(unsigned rd, unsigned rs1, int32_t imm) { return i_type(imm, rs1, 2, rd, 0x13); }
constexpr uint32_t sltiu(unsigned rd, unsigned rs1, int32_t imm) { return i_type(imm, rs1, 3, rd, 0x13); }
constexpr uint32_t xori(unsigned rd, unsigned rs1, int32_t imm) { return i_type(imm, rs1, 4, rd, 0x13); }
constexpr uint32_t ori(unsigned rd, unsigned rs1, int32_t imm) { return i_type(imm, rs1, 6, rd, 0x13); }
constexpr uint32_t andi(unsigned rd, unsigned rs1, int32_t imm) { return i_type(imm, rs1, 7, rd, 0x13); }
constexpr uint32_t slli(unsigned rd, unsigned rs1, unsigned sh) { return i_type(int32_t(sh), rs1, 1, rd, 0x13); }
constexpr uint32_t srli(unsigned rd, unsigned rs1, unsigned sh) { return i_type(int32_t(sh), rs1, 5, rd, 0x13); }
constexpr uint32_t srai(unsigned rd, unsigned rs1, unsigned sh) { return i_type(int32_t(0x400 | sh), rs1, 5, rd, 0x13); }
constexpr uint32_t addiw(unsigned rd, unsigned rs1, int32_t imm) { return i_type(imm, rs1, 0, rd, 0x1b); }
constexpr uint32_t slliw(unsigned rd, unsigned rs1, unsigned sh) { return i_type(int32_t(sh), rs1, 1, rd, 0x1b); }
constexpr uint32_t srliw(unsigned rd, unsigned rs1, unsigned sh) { return i_type(int32_t(sh), rs1, 5, rd, 0x1b); }
constexpr uint32_t sraiw(unsigned rd, unsigned rs1, unsigned sh) { return i_type(int32_t(0x400 | sh), rs1, 5, rd, 0x1b); }

// R-type ALU operations: OP (0x33) and OP-32 (0x3b) with funct7/funct3.
constexpr uint32_t op(uint32_t f7, uint32_t f3, unsigned rd, unsigned rs1, unsigned rs2) { return r_type(f7, rs2, rs1, f3, rd, 0x33); }
constexpr uint32_t op32(uint32_t f7, uint32_t f3, unsigned rd, unsigned rs1, unsigned rs2) { return r_type(f7, rs2, rs1, f3, rd, 0x3b); }
constexpr uint32_t add(unsigned rd, unsigned rs1, unsigned rs2) { return op(0, 0, rd, rs1, rs2); }
constexpr uint32_t sub(unsigned rd, unsigned rs1, unsigned rs2) { return op(0x20, 0, rd, rs1, rs2); }
constexpr uint32_t sll(unsigned rd, unsigned rs1, unsigned rs2) { return op(0, 1, rd, rs1, rs2); }
constexpr uint32_t slt(unsigned rd, unsigned rs1, unsigned rs2) { return op(0, 2, rd, rs1, rs2); }
constexpr uint32_t sltu(unsigned rd, unsigned rs1, unsigned rs2) { return op(0, 3, rd, rs1, rs2); }
constexpr uint32_t xor_(unsigned rd, unsigned rs1, unsigned rs2) { return op(0, 4, rd, rs1, rs2); }
constexpr uint32_t srl(unsigned rd, unsigned rs1, unsigned rs2) { return op(0, 5, rd, rs1, rs2); }
constexpr uint32_t sra(unsigned rd, unsigned rs1, unsigned rs2) { return op(0x20, 5, rd, rs1, rs2); }
constexpr uint32_t or_(unsigned rd, unsigned rs1, unsigned rs2) { return op(0, 6, rd, rs1, rs2); }
constexpr uint32_t and_(unsigned rd, unsigned rs1, unsigned rs2) { return op(0, 7, rd, rs1, rs2); }
constexpr uint32_t addw(unsigned rd, unsigned rs1, unsigned rs2) { return op32(0, 0, rd, rs1, rs2); }
constexpr uint32_t subw(unsigned rd, unsigned rs1, unsigned rs2) { return op32(0x20, 0, rd, rs1, rs2); }
constexpr uint32_t sllw(unsigned rd, unsigned rs1, unsigned rs2) { return op32(0, 1, rd, rs1, rs2); }
constexpr uint32_t srlw(unsigned rd, unsigned rs1, unsigned rs2) { return op32(0, 5, rd, rs1, rs2); }
constexpr uint32_t sraw(unsigned rd, unsigned rs1, unsigned rs2) { return op32(0x20, 5, rd, rs1, rs2); }

// ---- M ----
constexpr uint32_t mul(unsigned rd, unsigned rs1, unsigned rs2) { return op(1, 0, rd, rs1, rs2); }
constexpr uint32_t mulh(unsigned rd, unsigned rs1, unsigned rs2) { return op(1, 1, rd, rs1, rs2); }
constexpr uint32_t mulhsu(unsigned rd, unsigned rs1, unsigned rs2) { return op(1, 2, rd, rs1, rs2); }
constexpr uint32_t mulhu(unsigned rd, unsigned rs1, unsigned rs2) { return op(1, 3, rd, rs1, rs2); }
constexpr uint32_t div(unsigned rd, unsigned rs1, unsigned rs2) { return op(1, 4, rd, rs1, rs2); }
constexpr uint32_t divu(unsigned rd, unsigned rs1, unsigned rs2) { return op(1, 5, rd, rs1, rs2); }
constexpr uint32_t rem(unsigned rd, unsigned rs1, unsigned rs2) { return op(1, 6, rd, rs1, rs2); }
constexpr uint32_t remu(unsigned rd, unsigned rs1, unsigned rs2) { return op(1, 7, rd, rs1, rs2); }
constexpr uint32_t mulw(unsigned rd, unsigned rs1, unsigned rs2) { return op32(1, 0, rd, rs1, rs2); }
constexpr uint32_t divw(unsigned rd, unsigned rs1, unsigned rs2) { return op32(1, 4, rd, rs1, rs2); }
constexpr uint32_t divuw(unsigned rd, unsigned rs1, unsigned rs2) { return op32(1, 5, rd, rs1, rs2); }
constexpr uint32_t remw(unsigned rd, unsigned rs1, unsigned rs2) { return op32(1, 6, rd, rs1, rs2); }
constexpr uint32_t remuw(unsigned rd, unsigned rs1, unsigned rs2) { return op32(1, 7, rd, rs1, rs2); }

// ---- A (funct5 values from the spec; aq/rl clear) ----
enum class Amo : uint32_t { ADD = 0x00, SWAP = 0x01, LR = 0x02, SC = 0x03, XOR = 0x04, OR = 0x08, AND = 0x0c,
                            MIN = 0x10, MAX = 0x14, MINU = 0x18, MAXU = 0x1c };
constexpr uint32_t amo_w(Amo f, unsigned rd, unsigned rs1, unsigned rs2) { return r_type(uint32_t(f) << 2, rs2, rs1, 2, rd, 0x2f); }
constexpr uint32_t amo_d(Amo f, unsigned rd, unsigned rs1, unsigned rs2) { return r_type(uint32_t(f) << 2, rs2, rs1, 3, rd, 0x2f); }
constexpr uint32_t lr_w(unsigned rd, unsigned rs1) { return amo_w(Amo::LR, rd, rs1, 0); }
constexpr uint32_t lr_d(unsigned rd, unsigned rs1) { return amo_d(Amo::LR, rd, rs1, 0); }
constexpr uint32_t sc_w(unsigned rd, unsigned rs1, unsigned rs2) { return amo_w(Amo::SC, rd, rs1, rs2); }
constexpr uint32_t sc_d(unsigned rd, unsigned rs1, unsigned rs2) { return amo_d(Amo::SC, rd, rs1, rs2); }

// ---- ordering, system ----
constexpr uint32_t fence() { return 0x0ff0000f; }  // fence iorw, iorw
constexpr uint32_t fence_i() { return 0x0000100f; }
constexpr uint32_t ecall() { return 0x00000073; }
constexpr uint32_t ebreak() { return 0x00100073; }
constexpr uint32_t wfi() { return 0x10500073; }
constexpr uint32_t mret() { return 0x30200073; }
constexpr uint32_t csrrs(unsigned rd, uint16_t csr, unsigned rs1) { return i_type(int32_t(csr), rs1, 2, rd, 0x73) ; }
constexpr uint32_t csrrw(unsigned rd, uint16_t csr, unsigned rs1) { return i_type(int32_t(csr), rs1, 1, rd, 0x73); }
constexpr uint32_t nop() { return addi(0, 0, 0); }

// ---- compressed (16-bit) ----
constexpr uint16_t c_addi(unsigned rd, int32_t imm)  // rd != 0, imm in [-32, 31]
{
    const uint32_t u = uint32_t(imm);
    return uint16_t((u >> 5 & 1) << 12 | rd << 7 | (u & 0x1f) << 2 | 0x1);
}
constexpr uint16_t c_nop() { return 0x0001; }

}  // namespace locklab::rv::test::enc
