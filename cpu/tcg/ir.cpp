#include "cpu/tcg/ir.h"

#include <iterator>

#include <fmt/format.h>

namespace locklab::rv::tcg {

bool eval_cond(Cond c, uint64_t a, uint64_t b)
{
    switch (c) {
    case Cond::EQ: return a == b;
    case Cond::NE: return a != b;
    case Cond::LT: return int64_t(a) < int64_t(b);
    case Cond::GE: return int64_t(a) >= int64_t(b);
    case Cond::LTU: return a < b;
    case Cond::GEU: return a >= b;
    }
    return false;
}

bool is_terminator(IrOp op) { return op >= IrOp::GotoTb; }

bool may_fault(IrOp op) { return op == IrOp::Load || op == IrOp::Store || op == IrOp::Call || op == IrOp::System; }

const char* ir_op_name(IrOp op)
{
    static constexpr const char* kNames[] = {"mov",     "add",     "sub",     "and",          "or",
                                             "xor",     "mul",     "div",     "divu",         "rem",
                                             "remu",    "shl",     "shr",     "sar",          "addshl",  "ext32s",
                                             "ext32u",  "setcond", "select",  "load",    "store",        "call",
                                             "exit_if", "goto_tb", "branch",  "jump_indirect", "system"};
    static_assert(std::size(kNames) == size_t(IrOp::System) + 1);
    return kNames[size_t(op)];
}

namespace {
const char* cond_name(Cond c)
{
    static constexpr const char* kNames[] = {"eq", "ne", "lt", "ge", "ltu", "geu"};
    return kNames[size_t(c)];
}

std::string temp_name(Temp t) { return is_global(t) ? fmt::format("x{}", t) : fmt::format("t{}", t - kGuestRegs); }

std::string arg_name(const Arg& a) { return a.is_imm ? fmt::format("{:#x}", a.imm) : temp_name(a.temp); }
}  // namespace

std::string IrBlock::dump() const
{
    std::string out;
    for (const IrInsn& i : ops) {
        out += fmt::format("{:3} {}", i.guest_index, ir_op_name(i.op));
        if (i.op == IrOp::SetCond || i.op == IrOp::Select || i.op == IrOp::Branch || i.op == IrOp::ExitIf)
            out += fmt::format(".{}", cond_name(i.cond));
        if (i.op == IrOp::Load || i.op == IrOp::Store) out += fmt::format(".{}{}", i.sign ? "s" : "u", i.size * 8);
        if (i.dst != kNoTemp) out += fmt::format(" {}", temp_name(i.dst));
        if (i.a.is_temp() || i.a.imm != 0 || i.op != IrOp::Call) {
            if (i.op != IrOp::GotoTb && i.op != IrOp::System && i.op != IrOp::Call) out += " " + arg_name(i.a);
        }
        if (i.op != IrOp::Mov && i.op != IrOp::Ext32s && i.op != IrOp::Ext32u && i.op != IrOp::Load &&
            i.op != IrOp::GotoTb && i.op != IrOp::JumpIndirect && i.op != IrOp::System && i.op != IrOp::Call)
            out += ", " + arg_name(i.b);
        if (i.op == IrOp::AddShl) out += fmt::format(" << {}", i.shift);
        if (i.op == IrOp::Select) out += fmt::format(" ? {} : {} unretire {}", arg_name(i.c), arg_name(i.d), i.unretire);
        if (i.op == IrOp::Load || i.op == IrOp::Store) out += fmt::format(" +{}", i.offset);
        if (i.op == IrOp::GotoTb || i.op == IrOp::Branch || i.op == IrOp::ExitIf) out += fmt::format(" -> {:#x}", i.target);
        if (i.op == IrOp::Branch) out += fmt::format(" else {:#x}", i.fallthrough);
        if (i.op == IrOp::Call || i.op == IrOp::System)
            out += fmt::format(" {}", mnemonic(guest[i.guest_index].d.op));
        out += '\n';
    }
    return out;
}

}  // namespace locklab::rv::tcg
