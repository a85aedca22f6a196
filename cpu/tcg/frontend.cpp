// JIT frontend: decoded guest instructions -> IR.
//
// Why this split keeps the semantics in one place: cpu/semantics.h is the only definition of what an
// instruction does. The frontend lowers to IR only the instructions whose meaning is plain
// arithmetic on registers, a comparison, a jump or a TLB-checked load/store — the shapes the IR
// spells directly (and whose results the differential tester compares with the interpreter's). Every
// other operation (CSRs, xRET, WFI, ecall/ebreak, fence/fence.i, sfence.vma, AMOs, LR/SC, the
// high-half multiplies, illegal encodings) becomes a call to the interpreter's own exec_<OP>()
// function, so its rules (privilege checks, trap causes, reservation handling) exist exactly once.
// Division and remainder are IR operations (Div, DivU, Rem, RemU) whose meaning, the M extension's
// results for a zero divisor and for overflow included, the constant folder takes from
// cpu/semantics.h's sem::div_* functions; the backend's code for them is checked against those by
// the unit tests and the differential tester. The backend
// only ever sees IR: it knows nothing about RISC-V instructions, only about temps, the guest register
// file, the TLB and helper calls.
#include "cpu/tcg/frontend.h"

#include <atomic>
#include <cstring>
#include <utility>

#include "cpu/tlb.h"

namespace locklab::rv::tcg {

namespace {

bool ends_block(Op op) { return op_flags(op) & (OPF_BRANCH | OPF_SYSTEM); }

bool is_conditional_branch(Op op)
{
    switch (op) {
    case Op::BEQ: case Op::BNE: case Op::BLT: case Op::BGE: case Op::BLTU: case Op::BGEU: return true;
    default: return false;
    }
}

// The condition of a conditional branch (is_conditional_branch(op)), for Branch, ExitIf and Select.
Cond branch_cond(Op op)
{
    switch (op) {
    case Op::BEQ: return Cond::EQ;
    case Op::BNE: return Cond::NE;
    case Op::BLT: return Cond::LT;
    case Op::BGE: return Cond::GE;
    case Op::BLTU: return Cond::LTU;
    default: return Cond::GEU;
    }
}

// Operations the Lowering turns into register arithmetic only (no memory access, no trap, no
// helper, no control flow, no division: its zero-divisor path is out of line).
bool is_register_computation(Op op)
{
    switch (op) {
    case Op::LUI: case Op::AUIPC: case Op::ADDI: case Op::SLTI: case Op::SLTIU: case Op::XORI: case Op::ORI:
    case Op::ANDI: case Op::SLLI: case Op::SRLI: case Op::SRAI: case Op::ADD: case Op::SUB: case Op::SLL:
    case Op::SLT: case Op::SLTU: case Op::XOR: case Op::SRL: case Op::SRA: case Op::OR: case Op::AND:
    case Op::MUL: case Op::ADDIW: case Op::ADDW: case Op::SUBW: case Op::MULW: case Op::SLLIW: case Op::SRLIW:
    case Op::SRAIW: case Op::SLLW: case Op::SRLW: case Op::SRAW:
        return true;
    default:
        return false;
    }
}

uint16_t read_parcel(const uint8_t* p)
{
    // Relaxed atomic, like the interpreter: another hart may be writing this code.
    return std::atomic_ref<const uint16_t>(*reinterpret_cast<const uint16_t*>(p)).load(std::memory_order_relaxed);
}

class Lowering {
public:
    explicit Lowering(IrBlock& b) : b_(b) {}

    void insn(uint32_t index)
    {
        index_ = index;
        const GuestInsn& g = b_.guest[index];
        const DecodedInsn& d = g.d;
        const uint64_t pc = g.pc;
        const uint64_t next = pc + d.len;
        const uint64_t imm = uint64_t(int64_t(d.imm));
        const Arg rs1 = reg(d.rs1), rs2 = reg(d.rs2), i = Arg::i(imm);
        switch (d.op) {
        case Op::LUI: mov(d.rd, i); break;
        case Op::AUIPC: mov(d.rd, Arg::i(pc + imm)); break;
        case Op::JAL:
            mov(d.rd, Arg::i(next));
            end(IrOp::GotoTb, pc + imm);
            break;
        case Op::JALR: {
            const Temp t = local(IrOp::Add, rs1, i);  // the target first: rd may be rs1
            const Temp target = local(IrOp::And, Arg::t(t), Arg::i(~uint64_t(1)));
            mov(d.rd, Arg::i(next));
            IrInsn j = make(IrOp::JumpIndirect);
            j.a = Arg::t(target);
            b_.ops.push_back(j);
            break;
        }
        case Op::BEQ: case Op::BNE: case Op::BLT: case Op::BGE: case Op::BLTU: case Op::BGEU:
            branch(branch_cond(d.op), rs1, rs2, pc + imm, next);
            break;
        case Op::LB: load(d, 1, true); break;
        case Op::LH: load(d, 2, true); break;
        case Op::LW: load(d, 4, true); break;
        case Op::LD: load(d, 8, false); break;
        case Op::LBU: load(d, 1, false); break;
        case Op::LHU: load(d, 2, false); break;
        case Op::LWU: load(d, 4, false); break;
        case Op::SB: store(d, 1); break;
        case Op::SH: store(d, 2); break;
        case Op::SW: store(d, 4); break;
        case Op::SD: store(d, 8); break;
        case Op::ADDI: op(IrOp::Add, d.rd, rs1, i); break;
        case Op::SLTI: setcond(Cond::LT, d.rd, rs1, i); break;
        case Op::SLTIU: setcond(Cond::LTU, d.rd, rs1, i); break;
        case Op::XORI: op(IrOp::Xor, d.rd, rs1, i); break;
        case Op::ORI: op(IrOp::Or, d.rd, rs1, i); break;
        case Op::ANDI: op(IrOp::And, d.rd, rs1, i); break;
        case Op::SLLI: op(IrOp::Shl, d.rd, rs1, Arg::i(imm & 63)); break;
        case Op::SRLI: op(IrOp::Shr, d.rd, rs1, Arg::i(imm & 63)); break;
        case Op::SRAI: op(IrOp::Sar, d.rd, rs1, Arg::i(imm & 63)); break;
        case Op::ADD: op(IrOp::Add, d.rd, rs1, rs2); break;
        case Op::SUB: op(IrOp::Sub, d.rd, rs1, rs2); break;
        case Op::SLL: op(IrOp::Shl, d.rd, rs1, rs2); break;
        case Op::SLT: setcond(Cond::LT, d.rd, rs1, rs2); break;
        case Op::SLTU: setcond(Cond::LTU, d.rd, rs1, rs2); break;
        case Op::XOR: op(IrOp::Xor, d.rd, rs1, rs2); break;
        case Op::SRL: op(IrOp::Shr, d.rd, rs1, rs2); break;
        case Op::SRA: op(IrOp::Sar, d.rd, rs1, rs2); break;
        case Op::OR: op(IrOp::Or, d.rd, rs1, rs2); break;
        case Op::AND: op(IrOp::And, d.rd, rs1, rs2); break;
        case Op::MUL: op(IrOp::Mul, d.rd, rs1, rs2); break;
        case Op::DIV: op(IrOp::Div, d.rd, rs1, rs2); break;
        case Op::DIVU: op(IrOp::DivU, d.rd, rs1, rs2); break;
        case Op::REM: op(IrOp::Rem, d.rd, rs1, rs2); break;
        case Op::REMU: op(IrOp::RemU, d.rd, rs1, rs2); break;
        // W forms: compute in 64 bits where the low half does not depend on the high one, then
        // sign-extend; right shifts first extend their operand the way the shift needs.
        case Op::ADDIW: word(IrOp::Add, d.rd, rs1, i); break;
        case Op::ADDW: word(IrOp::Add, d.rd, rs1, rs2); break;
        case Op::SUBW: word(IrOp::Sub, d.rd, rs1, rs2); break;
        case Op::MULW: word(IrOp::Mul, d.rd, rs1, rs2); break;
        case Op::SLLIW: word(IrOp::Shl, d.rd, rs1, Arg::i(imm & 31)); break;
        case Op::SRLIW: word(IrOp::Shr, d.rd, Arg::t(local(IrOp::Ext32u, rs1)), Arg::i(imm & 31)); break;
        case Op::SRAIW: word(IrOp::Sar, d.rd, Arg::t(local(IrOp::Ext32s, rs1)), Arg::i(imm & 31)); break;
        case Op::SLLW: word(IrOp::Shl, d.rd, rs1, amount32(rs2)); break;
        case Op::SRLW: word(IrOp::Shr, d.rd, Arg::t(local(IrOp::Ext32u, rs1)), amount32(rs2)); break;
        case Op::SRAW: word(IrOp::Sar, d.rd, Arg::t(local(IrOp::Ext32s, rs1)), amount32(rs2)); break;
        // 32-bit division of the operands extended the way the operation reads them: the low half of
        // the 64-bit result is the 32-bit one in every case (a zero divisor, INT32_MIN / -1).
        case Op::DIVW: word32(IrOp::Div, d.rd, IrOp::Ext32s, rs1, rs2); break;
        case Op::DIVUW: word32(IrOp::DivU, d.rd, IrOp::Ext32u, rs1, rs2); break;
        case Op::REMW: word32(IrOp::Rem, d.rd, IrOp::Ext32s, rs1, rs2); break;
        case Op::REMUW: word32(IrOp::RemU, d.rd, IrOp::Ext32u, rs1, rs2); break;
        default:
            if (op_flags(d.op) & OPF_SYSTEM) {
                b_.ops.push_back(make(IrOp::System));
            } else {
                IrInsn c = make(IrOp::Call);
                c.dst = d.rd == kZeroSink ? kNoTemp : Temp(d.rd);
                b_.ops.push_back(c);
            }
            break;
        }
    }

    // Instruction `index` is a conditional branch over exactly the next instruction, which only
    // computes a register from registers (no memory, no trap, no control flow): lower the pair
    // branch-free. The skipped instruction computes into a local, and a Select keeps the register's
    // old value (and retires one instruction fewer) when the branch is taken. Compilers for RISC-V
    // (no conditional move in RV64I) emit this shape for `x = c ? y : x`; as a side exit it cost a
    // host branch misprediction on data-dependent conditions and a block transition on every taken
    // branch. Returns false (nothing emitted) when the pair does not qualify.
    bool select(uint32_t index)
    {
        if (index + 1 >= b_.guest.size()) return false;
        const GuestInsn& br = b_.guest[index];
        const GuestInsn& skipped = b_.guest[index + 1];
        const uint8_t rd = skipped.d.rd;
        if (!is_conditional_branch(br.d.op) || br.pc + uint64_t(int64_t(br.d.imm)) != skipped.pc + skipped.d.len ||
            !is_register_computation(skipped.d.op) || rd == 0 || rd == kZeroSink)
            return false;
        into_ = b_.new_temp();
        insn(index + 1);
        const Temp value = into_;
        into_ = kNoTemp;
        IrInsn sel = make(IrOp::Select);
        sel.cond = branch_cond(br.d.op);
        sel.a = reg(br.d.rs1);
        sel.b = reg(br.d.rs2);
        sel.dst = Temp(rd);
        sel.c = Arg::t(Temp(rd));
        sel.d = Arg::t(value);
        sel.unretire = 1;
        b_.ops.push_back(sel);
        return true;
    }

    // After the last instruction: a block cut short (length bound, page end) falls through.
    void finish(uint64_t next_pc)
    {
        if (b_.ops.empty() || !is_terminator(b_.ops.back().op)) end(IrOp::GotoTb, next_pc);
    }

private:
    static Arg reg(uint8_t r) { return r == 0 || r == kZeroSink ? Arg::i(0) : Arg::t(Temp(r)); }

    IrInsn make(IrOp o) const
    {
        IrInsn i;
        i.op = o;
        i.guest_index = index_;
        return i;
    }
    void emit(IrOp o, Temp dst, Arg a, Arg b = Arg::i(0))
    {
        IrInsn i = make(o);
        i.dst = dst;
        i.a = a;
        i.b = b;
        b_.ops.push_back(i);
    }
    Temp local(IrOp o, Arg a, Arg b = Arg::i(0))
    {
        const Temp t = b_.new_temp();
        emit(o, t, a, b);
        return t;
    }
    // Where an instruction's result goes: guest register rd, or the local a branch-free hammock
    // computes it into (select()).
    Temp dest(uint8_t rd) const { return into_ != kNoTemp ? into_ : Temp(rd); }
    // rd = a op b; nothing for x0 (kZeroSink): none of these can fault.
    void op(IrOp o, uint8_t rd, Arg a, Arg b)
    {
        if (rd != kZeroSink && rd != 0) emit(o, dest(rd), a, b);
    }
    void mov(uint8_t rd, Arg a) { op(IrOp::Mov, rd, a, Arg::i(0)); }
    void word(IrOp o, uint8_t rd, Arg a, Arg b)
    {
        if (rd == kZeroSink || rd == 0) return;
        emit(IrOp::Ext32s, dest(rd), Arg::t(local(o, a, b)));
    }
    void word32(IrOp o, uint8_t rd, IrOp extend, Arg a, Arg b)
    {
        if (rd == kZeroSink || rd == 0) return;
        word(o, rd, Arg::t(local(extend, a)), Arg::t(local(extend, b)));
    }
    Arg amount32(Arg a) { return Arg::t(local(IrOp::And, a, Arg::i(31))); }
    void setcond(Cond c, uint8_t rd, Arg a, Arg b)
    {
        if (rd == kZeroSink || rd == 0) return;
        IrInsn i = make(IrOp::SetCond);
        i.cond = c;
        i.dst = dest(rd);
        i.a = a;
        i.b = b;
        b_.ops.push_back(i);
    }
    void load(const DecodedInsn& d, uint8_t size, bool sign)
    {
        // A load to x0 still accesses memory (it may fault or touch MMIO): into a scratch temp.
        IrInsn i = make(IrOp::Load);
        i.dst = d.rd == kZeroSink || d.rd == 0 ? b_.new_temp() : Temp(d.rd);
        i.a = reg(d.rs1);
        i.offset = d.imm;
        i.size = size;
        i.sign = sign;
        b_.ops.push_back(i);
    }
    void store(const DecodedInsn& d, uint8_t size)
    {
        IrInsn i = make(IrOp::Store);
        i.a = reg(d.rs1);
        i.b = reg(d.rs2);
        i.offset = d.imm;
        i.size = size;
        b_.ops.push_back(i);
    }
    // The block's last instruction: a two-way terminator; an earlier one (superblock): a side exit.
    void branch(Cond c, Arg a, Arg b, uint64_t taken, uint64_t fallthrough)
    {
        IrInsn i = make(index_ + 1 < b_.guest.size() ? IrOp::ExitIf : IrOp::Branch);
        i.cond = c;
        i.a = a;
        i.b = b;
        i.target = taken;
        i.fallthrough = fallthrough;
        b_.ops.push_back(i);
    }
    void end(IrOp o, uint64_t target)
    {
        IrInsn i = make(o);
        i.target = target;
        b_.ops.push_back(i);
    }

    IrBlock& b_;
    uint32_t index_ = 0;
    Temp into_ = kNoTemp;  // set while select() lowers the skipped instruction
};

}  // namespace

std::vector<GuestInsn> decode_guest_block(const uint8_t* host, uint64_t pc, uint32_t max_insns, uint32_t side_exits)
{
    std::vector<GuestInsn> out;
    const uint64_t room = kPageSize - (pc & ~kPageMask);
    uint64_t off = 0;
    while (out.size() < max_insns && off + 2 <= room) {
        const uint16_t lo = read_parcel(host + off);
        const unsigned len = insn_length(lo);
        if (off + len > room) break;
        uint32_t bits = lo;
        if (len == 4) bits |= uint32_t(read_parcel(host + off + 2)) << 16;
        out.push_back({decode(bits), pc + off});
        off += len;
        // A backward branch (a loop's) stays a terminator: its taken side, the hot one, is then a
        // jcc chained straight to the loop head rather than a side exit writing registers back.
        const DecodedInsn& d = out.back().d;
        if (ends_block(d.op)) {
            if (side_exits == 0 || !is_conditional_branch(d.op) || d.imm <= 0) break;
            --side_exits;
        }
    }
    return out;
}

IrBlock build_ir(uint64_t pc, std::vector<GuestInsn> insns)
{
    IrBlock b;
    b.pc = pc;
    b.guest = std::move(insns);
    Lowering l(b);
    for (uint32_t i = 0; i < b.guest.size(); ++i) {
        if (l.select(i)) ++i;  // the branch and the instruction it skips, as one Select
        else l.insn(i);
    }
    const GuestInsn& last = b.guest.back();
    l.finish(last.pc + last.d.len);
    return b;
}

}  // namespace locklab::rv::tcg
