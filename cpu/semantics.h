// Instruction semantics: one small function per operation of cpu/ops.def. This file is THE readable
// reference of what each instruction does; the interpreter calls these functions and the JIT is
// checked against them.
//
// Contract of every exec_<NAME>(Hart& h, const DecodedInsn& d):
//  - on entry h.pc is the instruction's address and h.next_pc == h.pc + d.len;
//  - a control transfer writes h.next_pc;
//  - it returns false after h.raise(...) (memory faults, illegal instruction, ecall, ...) and then
//    has changed no architectural register;
//  - results go to h.x[d.rd] unconditionally: for x0 the decoder sets rd = kZeroSink (x[32]).
// Registers are uint64_t; signed views are explicit casts (two's complement, C++20). RV64: W
// operations compute on the low 32 bits and sign-extend the result; shift amounts are masked to
// 6 bits (5 for W); division follows the M extension's table (no traps).
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "cpu/hart.h"
#include "cpu/memory_access.h"
#include "cpu/privileged.h"

namespace locklab::rv {

namespace sem {

__extension__ typedef __int128 int128;
__extension__ typedef unsigned __int128 uint128;

// Instruction alignment: 2 bytes, because C is implemented (misa.C cannot be cleared). Branch and
// JAL offsets are even, JALR clears bit 0 and the pc is always even, so no jump target can be
// misaligned: instruction-address-misaligned never arises from a jump on this hart.
inline constexpr uint64_t kIalign = 2;

inline uint64_t src1(const Hart& h, const DecodedInsn& d) { return h.x[d.rs1]; }
inline uint64_t src2(const Hart& h, const DecodedInsn& d) { return h.x[d.rs2]; }
inline uint64_t imm(const DecodedInsn& d) { return uint64_t(int64_t(d.imm)); }
inline uint64_t sext32(uint64_t v) { return uint64_t(int64_t(int32_t(uint32_t(v)))); }
// A loaded word of type T widened to XLEN: sign-extended when T is signed.
template <class T>
inline uint64_t widen(T v) { return uint64_t(v); }

inline bool set_rd(Hart& h, const DecodedInsn& d, uint64_t v)
{
    h.x[d.rd] = v;
    return true;
}

inline bool jump(Hart& h, uint64_t target)
{
    h.next_pc = target;
    return true;
}

inline bool branch(Hart& h, const DecodedInsn& d, bool taken)
{
    return taken ? jump(h, h.pc + imm(d)) : true;
}

inline uint64_t address(const Hart& h, const DecodedInsn& d) { return src1(h, d) + imm(d); }

// Loads: T is the guest type; its signedness selects sign or zero extension.
template <class T>
inline bool load_op(Hart& h, const DecodedInsn& d)
{
    std::make_unsigned_t<T> v;
    if (!load(h, address(h, d), v)) return false;
    return set_rd(h, d, widen(T(v)));
}

template <GuestWord T>
inline bool store_op(Hart& h, const DecodedInsn& d)
{
    return store(h, address(h, d), T(src2(h, d)));
}

// AMOs: memory = f(memory, rs2) atomically, rd = the old memory value, sign-extended (RV64 .W).
template <GuestWord T, class F>
inline bool amo_op(Hart& h, const DecodedInsn& d, F f)
{
    const T operand = T(src2(h, d));
    T old;
    if (!amo(h, src1(h, d), old, [&](T m) { return T(f(m, operand)); })) return false;
    return set_rd(h, d, widen(std::make_signed_t<T>(old)));
}

template <GuestWord T>
inline bool lr_op(Hart& h, const DecodedInsn& d)
{
    T v;
    if (!load_reserved(h, src1(h, d), v)) return false;
    return set_rd(h, d, widen(std::make_signed_t<T>(v)));
}

template <GuestWord T>
inline bool sc_op(Hart& h, const DecodedInsn& d)
{
    bool stored;
    if (!store_conditional(h, src1(h, d), T(src2(h, d)), stored)) return false;
    return set_rd(h, d, stored ? 0 : 1);
}

// M extension division table: x/0 = all ones, x%0 = x, MIN/-1 = MIN, MIN%-1 = 0.
template <class S>
inline S div_signed(S a, S b)
{
    if (b == 0) return S(-1);
    if (a == std::numeric_limits<S>::min() && b == -1) return a;
    return a / b;
}
template <class S>
inline S rem_signed(S a, S b)
{
    if (b == 0) return a;
    if (a == std::numeric_limits<S>::min() && b == -1) return 0;
    return a % b;
}
template <class U>
inline U div_unsigned(U a, U b) { return b == 0 ? ~U(0) : a / b; }
template <class U>
inline U rem_unsigned(U a, U b) { return b == 0 ? a : a % b; }

inline int64_t s64(uint64_t v) { return int64_t(v); }
inline int32_t s32(uint64_t v) { return int32_t(uint32_t(v)); }
inline uint32_t u32(uint64_t v) { return uint32_t(v); }

}  // namespace sem

using sem::imm;
using sem::s32;
using sem::s64;
using sem::set_rd;
using sem::sext32;
using sem::src1;
using sem::src2;
using sem::u32;

// ---- RV64I: upper immediates, jumps, branches ----
inline bool exec_LUI(Hart& h, const DecodedInsn& d) { return set_rd(h, d, imm(d)); }
inline bool exec_AUIPC(Hart& h, const DecodedInsn& d) { return set_rd(h, d, h.pc + imm(d)); }
inline bool exec_JAL(Hart& h, const DecodedInsn& d)
{
    const uint64_t link = h.pc + d.len;
    return sem::jump(h, h.pc + imm(d)) && set_rd(h, d, link);
}
inline bool exec_JALR(Hart& h, const DecodedInsn& d)
{
    const uint64_t link = h.pc + d.len;  // rd may equal rs1: read the target first
    return sem::jump(h, (src1(h, d) + imm(d)) & ~uint64_t(1)) && set_rd(h, d, link);
}
inline bool exec_BEQ(Hart& h, const DecodedInsn& d) { return sem::branch(h, d, src1(h, d) == src2(h, d)); }
inline bool exec_BNE(Hart& h, const DecodedInsn& d) { return sem::branch(h, d, src1(h, d) != src2(h, d)); }
inline bool exec_BLT(Hart& h, const DecodedInsn& d) { return sem::branch(h, d, s64(src1(h, d)) < s64(src2(h, d))); }
inline bool exec_BGE(Hart& h, const DecodedInsn& d) { return sem::branch(h, d, s64(src1(h, d)) >= s64(src2(h, d))); }
inline bool exec_BLTU(Hart& h, const DecodedInsn& d) { return sem::branch(h, d, src1(h, d) < src2(h, d)); }
inline bool exec_BGEU(Hart& h, const DecodedInsn& d) { return sem::branch(h, d, src1(h, d) >= src2(h, d)); }

// ---- RV64I: loads and stores ----
inline bool exec_LB(Hart& h, const DecodedInsn& d) { return sem::load_op<int8_t>(h, d); }
inline bool exec_LH(Hart& h, const DecodedInsn& d) { return sem::load_op<int16_t>(h, d); }
inline bool exec_LW(Hart& h, const DecodedInsn& d) { return sem::load_op<int32_t>(h, d); }
inline bool exec_LD(Hart& h, const DecodedInsn& d) { return sem::load_op<int64_t>(h, d); }
inline bool exec_LBU(Hart& h, const DecodedInsn& d) { return sem::load_op<uint8_t>(h, d); }
inline bool exec_LHU(Hart& h, const DecodedInsn& d) { return sem::load_op<uint16_t>(h, d); }
inline bool exec_LWU(Hart& h, const DecodedInsn& d) { return sem::load_op<uint32_t>(h, d); }
inline bool exec_SB(Hart& h, const DecodedInsn& d) { return sem::store_op<uint8_t>(h, d); }
inline bool exec_SH(Hart& h, const DecodedInsn& d) { return sem::store_op<uint16_t>(h, d); }
inline bool exec_SW(Hart& h, const DecodedInsn& d) { return sem::store_op<uint32_t>(h, d); }
inline bool exec_SD(Hart& h, const DecodedInsn& d) { return sem::store_op<uint64_t>(h, d); }

// ---- RV64I: register-immediate ----
inline bool exec_ADDI(Hart& h, const DecodedInsn& d) { return set_rd(h, d, src1(h, d) + imm(d)); }
inline bool exec_SLTI(Hart& h, const DecodedInsn& d) { return set_rd(h, d, s64(src1(h, d)) < int64_t(d.imm)); }
inline bool exec_SLTIU(Hart& h, const DecodedInsn& d) { return set_rd(h, d, src1(h, d) < imm(d)); }
inline bool exec_XORI(Hart& h, const DecodedInsn& d) { return set_rd(h, d, src1(h, d) ^ imm(d)); }
inline bool exec_ORI(Hart& h, const DecodedInsn& d) { return set_rd(h, d, src1(h, d) | imm(d)); }
inline bool exec_ANDI(Hart& h, const DecodedInsn& d) { return set_rd(h, d, src1(h, d) & imm(d)); }
inline bool exec_SLLI(Hart& h, const DecodedInsn& d) { return set_rd(h, d, src1(h, d) << (d.imm & 63)); }
inline bool exec_SRLI(Hart& h, const DecodedInsn& d) { return set_rd(h, d, src1(h, d) >> (d.imm & 63)); }
inline bool exec_SRAI(Hart& h, const DecodedInsn& d) { return set_rd(h, d, uint64_t(s64(src1(h, d)) >> (d.imm & 63))); }

// ---- RV64I: register-register ----
inline bool exec_ADD(Hart& h, const DecodedInsn& d) { return set_rd(h, d, src1(h, d) + src2(h, d)); }
inline bool exec_SUB(Hart& h, const DecodedInsn& d) { return set_rd(h, d, src1(h, d) - src2(h, d)); }
inline bool exec_SLL(Hart& h, const DecodedInsn& d) { return set_rd(h, d, src1(h, d) << (src2(h, d) & 63)); }
inline bool exec_SLT(Hart& h, const DecodedInsn& d) { return set_rd(h, d, s64(src1(h, d)) < s64(src2(h, d))); }
inline bool exec_SLTU(Hart& h, const DecodedInsn& d) { return set_rd(h, d, src1(h, d) < src2(h, d)); }
inline bool exec_XOR(Hart& h, const DecodedInsn& d) { return set_rd(h, d, src1(h, d) ^ src2(h, d)); }
inline bool exec_SRL(Hart& h, const DecodedInsn& d) { return set_rd(h, d, src1(h, d) >> (src2(h, d) & 63)); }
inline bool exec_SRA(Hart& h, const DecodedInsn& d) { return set_rd(h, d, uint64_t(s64(src1(h, d)) >> (src2(h, d) & 63))); }
inline bool exec_OR(Hart& h, const DecodedInsn& d) { return set_rd(h, d, src1(h, d) | src2(h, d)); }
inline bool exec_AND(Hart& h, const DecodedInsn& d) { return set_rd(h, d, src1(h, d) & src2(h, d)); }

// ---- RV64I: 32-bit (W) operations ----
inline bool exec_ADDIW(Hart& h, const DecodedInsn& d) { return set_rd(h, d, sext32(src1(h, d) + imm(d))); }
inline bool exec_SLLIW(Hart& h, const DecodedInsn& d) { return set_rd(h, d, sext32(u32(src1(h, d)) << (d.imm & 31))); }
inline bool exec_SRLIW(Hart& h, const DecodedInsn& d) { return set_rd(h, d, sext32(u32(src1(h, d)) >> (d.imm & 31))); }
inline bool exec_SRAIW(Hart& h, const DecodedInsn& d) { return set_rd(h, d, sext32(uint32_t(s32(src1(h, d)) >> (d.imm & 31)))); }
inline bool exec_ADDW(Hart& h, const DecodedInsn& d) { return set_rd(h, d, sext32(src1(h, d) + src2(h, d))); }
inline bool exec_SUBW(Hart& h, const DecodedInsn& d) { return set_rd(h, d, sext32(src1(h, d) - src2(h, d))); }
inline bool exec_SLLW(Hart& h, const DecodedInsn& d) { return set_rd(h, d, sext32(u32(src1(h, d)) << (src2(h, d) & 31))); }
inline bool exec_SRLW(Hart& h, const DecodedInsn& d) { return set_rd(h, d, sext32(u32(src1(h, d)) >> (src2(h, d) & 31))); }
inline bool exec_SRAW(Hart& h, const DecodedInsn& d) { return set_rd(h, d, sext32(uint32_t(s32(src1(h, d)) >> (src2(h, d) & 31)))); }

// ---- RV64I: ordering, Zifencei, environment ----
// FENCE orders this hart's accesses against other harts, which are real host threads.
inline bool exec_FENCE(Hart&, const DecodedInsn&)
{
    host_fence();
    return true;
}
// FENCE.I: later fetches of this hart see its earlier stores: drop the decoded-block cache.
inline bool exec_FENCE_I(Hart& h, const DecodedInsn&)
{
    h.code_flush();
    return true;
}
inline bool exec_ECALL(Hart& h, const DecodedInsn&) { return exec_ecall(h); }
inline bool exec_EBREAK(Hart& h, const DecodedInsn&) { return exec_ebreak(h); }

// ---- M ----
inline bool exec_MUL(Hart& h, const DecodedInsn& d) { return set_rd(h, d, src1(h, d) * src2(h, d)); }
inline bool exec_MULH(Hart& h, const DecodedInsn& d)
{
    return set_rd(h, d, uint64_t((sem::int128(s64(src1(h, d))) * sem::int128(s64(src2(h, d)))) >> 64));
}
inline bool exec_MULHSU(Hart& h, const DecodedInsn& d)
{
    return set_rd(h, d, uint64_t((sem::int128(s64(src1(h, d))) * sem::int128(src2(h, d))) >> 64));
}
inline bool exec_MULHU(Hart& h, const DecodedInsn& d)
{
    return set_rd(h, d, uint64_t((sem::uint128(src1(h, d)) * sem::uint128(src2(h, d))) >> 64));
}
inline bool exec_DIV(Hart& h, const DecodedInsn& d) { return set_rd(h, d, uint64_t(sem::div_signed(s64(src1(h, d)), s64(src2(h, d))))); }
inline bool exec_DIVU(Hart& h, const DecodedInsn& d) { return set_rd(h, d, sem::div_unsigned(src1(h, d), src2(h, d))); }
inline bool exec_REM(Hart& h, const DecodedInsn& d) { return set_rd(h, d, uint64_t(sem::rem_signed(s64(src1(h, d)), s64(src2(h, d))))); }
inline bool exec_REMU(Hart& h, const DecodedInsn& d) { return set_rd(h, d, sem::rem_unsigned(src1(h, d), src2(h, d))); }
inline bool exec_MULW(Hart& h, const DecodedInsn& d) { return set_rd(h, d, sext32(src1(h, d) * src2(h, d))); }
inline bool exec_DIVW(Hart& h, const DecodedInsn& d) { return set_rd(h, d, sext32(uint32_t(sem::div_signed(s32(src1(h, d)), s32(src2(h, d)))))); }
inline bool exec_DIVUW(Hart& h, const DecodedInsn& d) { return set_rd(h, d, sext32(sem::div_unsigned(u32(src1(h, d)), u32(src2(h, d))))); }
inline bool exec_REMW(Hart& h, const DecodedInsn& d) { return set_rd(h, d, sext32(uint32_t(sem::rem_signed(s32(src1(h, d)), s32(src2(h, d)))))); }
inline bool exec_REMUW(Hart& h, const DecodedInsn& d) { return set_rd(h, d, sext32(sem::rem_unsigned(u32(src1(h, d)), u32(src2(h, d))))); }

// ---- A: LR/SC and AMOs (aq/rl need nothing more: host RMWs are seq_cst) ----
inline bool exec_LR_W(Hart& h, const DecodedInsn& d) { return sem::lr_op<uint32_t>(h, d); }
inline bool exec_SC_W(Hart& h, const DecodedInsn& d) { return sem::sc_op<uint32_t>(h, d); }
inline bool exec_LR_D(Hart& h, const DecodedInsn& d) { return sem::lr_op<uint64_t>(h, d); }
inline bool exec_SC_D(Hart& h, const DecodedInsn& d) { return sem::sc_op<uint64_t>(h, d); }

namespace sem {
// The AMO operations, for T = uint32_t (.W) or uint64_t (.D).
template <class T> inline T amo_swap(T, T b) { return b; }
template <class T> inline T amo_add(T a, T b) { return T(a + b); }
template <class T> inline T amo_xor(T a, T b) { return a ^ b; }
template <class T> inline T amo_and(T a, T b) { return a & b; }
template <class T> inline T amo_or(T a, T b) { return a | b; }
template <class T> inline T amo_min(T a, T b) { return std::make_signed_t<T>(a) < std::make_signed_t<T>(b) ? a : b; }
template <class T> inline T amo_max(T a, T b) { return std::make_signed_t<T>(a) > std::make_signed_t<T>(b) ? a : b; }
template <class T> inline T amo_minu(T a, T b) { return a < b ? a : b; }
template <class T> inline T amo_maxu(T a, T b) { return a > b ? a : b; }
}  // namespace sem

#define LOCKLAB_AMO(NAME, fn)                                                                            \
    inline bool exec_##NAME##_W(Hart& h, const DecodedInsn& d) { return sem::amo_op<uint32_t>(h, d, sem::fn<uint32_t>); } \
    inline bool exec_##NAME##_D(Hart& h, const DecodedInsn& d) { return sem::amo_op<uint64_t>(h, d, sem::fn<uint64_t>); }
LOCKLAB_AMO(AMOSWAP, amo_swap)
LOCKLAB_AMO(AMOADD, amo_add)
LOCKLAB_AMO(AMOXOR, amo_xor)
LOCKLAB_AMO(AMOAND, amo_and)
LOCKLAB_AMO(AMOOR, amo_or)
LOCKLAB_AMO(AMOMIN, amo_min)
LOCKLAB_AMO(AMOMAX, amo_max)
LOCKLAB_AMO(AMOMINU, amo_minu)
LOCKLAB_AMO(AMOMAXU, amo_maxu)
#undef LOCKLAB_AMO

// ---- Zicsr and privileged instructions (cpu/privileged.h) ----
inline bool exec_CSRRW(Hart& h, const DecodedInsn& d) { return exec_csr(h, d); }
inline bool exec_CSRRS(Hart& h, const DecodedInsn& d) { return exec_csr(h, d); }
inline bool exec_CSRRC(Hart& h, const DecodedInsn& d) { return exec_csr(h, d); }
inline bool exec_CSRRWI(Hart& h, const DecodedInsn& d) { return exec_csr(h, d); }
inline bool exec_CSRRSI(Hart& h, const DecodedInsn& d) { return exec_csr(h, d); }
inline bool exec_CSRRCI(Hart& h, const DecodedInsn& d) { return exec_csr(h, d); }
inline bool exec_MRET(Hart& h, const DecodedInsn&) { return exec_mret(h); }
inline bool exec_SRET(Hart& h, const DecodedInsn&) { return exec_sret(h); }
inline bool exec_WFI(Hart& h, const DecodedInsn&) { return exec_wfi(h); }
inline bool exec_SFENCE_VMA(Hart& h, const DecodedInsn& d) { return exec_sfence_vma(h, d); }
inline bool exec_ILLEGAL(Hart& h, const DecodedInsn& d) { return h.raise(Exception::IllegalInsn, d.raw); }

// Execute one decoded instruction (same contract as the exec_ functions). The interpreter's block
// loop dispatches to the exec_ functions directly; this is for single steps and tests.
inline bool execute(Hart& h, const DecodedInsn& d)
{
    switch (d.op) {
#define X(name, mnem, flags) \
    case Op::name: return exec_##name(h, d);
#include "cpu/ops.def"
#undef X
    case Op::COUNT: break;
    }
    return exec_ILLEGAL(h, d);
}

}  // namespace locklab::rv
