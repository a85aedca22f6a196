// The JIT's intermediate representation: one straight-line list of typed operations per guest block,
// ending in exactly one terminator. Values are 64-bit.
//
// Temps: 0..31 are the guest registers x0..x31 ("globals": live on entry to the block and at every
// exit, helper call or possible fault); 32 and up are block-local temps, each defined once by the
// frontend and dead at the end of the guest instruction that defined it. x0 never appears as a
// destination (writes to it are dropped) and reads of it are the immediate 0.
//
// Arguments are a temp or an immediate, so the constant folder can replace one by the other and the
// backend can pick an immediate form. There are no labels: control flow is the terminator (a
// conditional branch is one terminator with two direct successors) and side exits (ExitIf: a
// conditional branch in the middle of a superblock, whose not-taken side goes on with the block).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cpu/decoded_insn.h"
#include "cpu/tcg/ram_window.h"

namespace locklab::rv::tcg {

using Temp = uint16_t;
inline constexpr Temp kGuestRegs = 32;   // temps below this are x0..x31
inline constexpr Temp kNoTemp = 0xffff;

inline constexpr bool is_global(Temp t) { return t < kGuestRegs; }

struct Arg {
    bool is_imm = true;
    Temp temp = kNoTemp;
    uint64_t imm = 0;

    static Arg t(Temp v) { return {false, v, 0}; }
    static Arg i(uint64_t v) { return {true, kNoTemp, v}; }
    bool is_temp() const { return !is_imm; }
};

// Whether v is a sign-extended 32-bit value (what an x86 immediate or displacement holds): the
// backend's choice of instruction form, and the passes' when they decide what it can emit.
constexpr bool fits_simm32(uint64_t v) { return int64_t(v) == int64_t(int32_t(uint32_t(v))); }

enum class Cond : uint8_t { EQ, NE, LT, GE, LTU, GEU };
bool eval_cond(Cond c, uint64_t a, uint64_t b);

enum class IrOp : uint8_t {
    // dst = f(a[, b])
    Mov,
    Add, Sub, And, Or, Xor, Mul,
    Div, DivU, Rem, RemU,  // 64-bit, with the M extension's results for a zero divisor and overflow
    Shl, Shr, Sar,   // shift amount = b mod 64
    AddShl,          // dst = a + (b << shift), shift 1..3 (x86 lea): made by fuse_shift_add() only
    Ext32s,          // sign-extend the low 32 bits of a
    Ext32u,          // zero-extend the low 32 bits of a
    SetCond,         // dst = cond(a, b) ? 1 : 0
    // dst = cond(a, b) ? c : d, and when cond holds `unretire` fewer guest instructions retired: a
    // forward branch over one instruction made branch-free (the frontend computes the skipped
    // instruction's result into the local d; c is the register's old value). Never faults.
    Select,
    // Guest memory through the softmmu TLB (fast path inline, helper on miss/MMIO/fault).
    Load,            // dst = mem[a + offset], `size` bytes, sign-extended if `sign`
    Store,           // mem[a + offset] = b (`size` bytes)
    // exec_<insn.op>(hart, insn) from cpu/semantics.h for an operation the IR does not express;
    // dst = the guest register it writes (kNoTemp if none). May fault.
    Call,
    // cond(a, b) ? leave the block for the direct target `target` : go on (guest instructions up to
    // and including this one retired on the way out).
    ExitIf,
    // ---- terminators ----
    GotoTb,          // continue at the direct target `target`
    Branch,          // cond(a, b) ? target : fallthrough
    JumpIndirect,    // continue at a (already aligned)
    System,          // exec_<insn.op>() for an OPF_SYSTEM operation, then back to the run loop
};

bool is_terminator(IrOp op);
bool may_fault(IrOp op);
const char* ir_op_name(IrOp op);

struct IrInsn {
    IrOp op = IrOp::Mov;
    Cond cond = Cond::EQ;
    uint8_t size = 8;       // Load/Store: bytes
    bool sign = false;      // Load: sign-extend
    Temp dst = kNoTemp;
    Arg a, b;
    Arg c, d;               // Select: the values
    uint8_t unretire = 0;   // Select: instructions not retired when cond holds
    uint8_t shift = 0;      // AddShl: how far b is shifted
    int64_t offset = 0;     // Load/Store: address displacement
    uint64_t target = 0;    // GotoTb/Branch: taken target
    uint64_t fallthrough = 0;  // Branch: not-taken target
    uint32_t guest_index = 0;  // which guest instruction of the block (precise faults)
};

struct GuestInsn {
    DecodedInsn d;
    uint64_t pc = 0;
};

struct IrBlock {
    uint64_t pc = 0;                 // guest virtual address of the first instruction
    std::vector<GuestInsn> guest;    // the decoded guest instructions (helpers get pointers into it)
    std::vector<IrInsn> ops;         // ends with a terminator
    Temp next_temp = kGuestRegs;
    // Set when the block runs with untranslated data accesses (TranslationBlock::phys_data): its
    // loads inside this window skip the TLB (cpu/tcg/ram_window.h). Size 0: every access uses it.
    RamWindow ram;

    Temp new_temp() { return next_temp++; }
    std::string dump() const;        // one op per line, for tests and `-d op`
};

}  // namespace locklab::rv::tcg
