#include "cpu/tcg/optimize.h"

#include "cpu/semantics.h"

#include <optional>
#include <utility>
#include <vector>

namespace locklab::rv::tcg {

bool is_pure(IrOp op) { return op <= IrOp::SetCond; }

uint64_t fold(IrOp op, Cond cond, uint64_t a, uint64_t b)
{
    switch (op) {
    case IrOp::Mov: return a;
    case IrOp::Add: return a + b;
    case IrOp::Sub: return a - b;
    case IrOp::And: return a & b;
    case IrOp::Or: return a | b;
    case IrOp::Xor: return a ^ b;
    case IrOp::Mul: return a * b;
    case IrOp::Div: return uint64_t(sem::div_signed(int64_t(a), int64_t(b)));
    case IrOp::DivU: return sem::div_unsigned(a, b);
    case IrOp::Rem: return uint64_t(sem::rem_signed(int64_t(a), int64_t(b)));
    case IrOp::RemU: return sem::rem_unsigned(a, b);
    case IrOp::Shl: return a << (b & 63);
    case IrOp::Shr: return a >> (b & 63);
    case IrOp::Sar: return uint64_t(int64_t(a) >> (b & 63));
    case IrOp::Ext32s: return uint64_t(int64_t(int32_t(uint32_t(a))));
    case IrOp::Ext32u: return uint64_t(uint32_t(a));
    case IrOp::SetCond: return eval_cond(cond, a, b) ? 1 : 0;
    default: return 0;
    }
}

namespace {

// Identities with one immediate operand that make the operation a copy of `a`.
bool is_identity(const IrInsn& i)
{
    if (!i.b.is_imm || i.a.is_imm) return false;
    const uint64_t v = i.b.imm;
    switch (i.op) {
    case IrOp::Add: case IrOp::Sub: case IrOp::Or: case IrOp::Xor: return v == 0;
    case IrOp::Shl: case IrOp::Shr: case IrOp::Sar: return (v & 63) == 0;
    case IrOp::And: return v == ~uint64_t(0);
    case IrOp::Mul: case IrOp::Div: case IrOp::DivU: return v == 1;
    default: return false;
    }
}

bool uses_b(IrOp op)
{
    return op != IrOp::Mov && op != IrOp::Ext32s && op != IrOp::Ext32u && op != IrOp::Load && op != IrOp::Call &&
           op != IrOp::System && op != IrOp::GotoTb && op != IrOp::JumpIndirect;
}

bool is_commutative(IrOp op)
{
    return op == IrOp::Add || op == IrOp::And || op == IrOp::Or || op == IrOp::Xor || op == IrOp::Mul;
}

bool uses_a(IrOp op) { return op != IrOp::Call && op != IrOp::System && op != IrOp::GotoTb; }

}  // namespace

void fold_constants(IrBlock& b)
{
    std::vector<std::optional<uint64_t>> known(b.next_temp);
    // copy[t]: the temp a local t was moved from, while that one still holds the same value (a
    // `sext.w x, x` lowers to a copy and an extension; the extension reads x itself).
    std::vector<Temp> copy(b.next_temp, kNoTemp);
    std::vector<Temp> copies;  // the locals with a copy[] entry (few: one per copying instruction)
    auto subst = [&](Arg& a) {
        if (a.is_temp() && copy[a.temp] != kNoTemp) a = Arg::t(copy[a.temp]);
        if (a.is_temp() && known[a.temp]) a = Arg::i(*known[a.temp]);
    };
    auto redefined = [&](Temp t) {  // t gets a new value: copies of its old one are copies no more
        for (Temp l : copies)
            if (copy[l] == t) copy[l] = kNoTemp;
    };
    std::vector<IrInsn> out;
    out.reserve(b.ops.size());
    for (IrInsn i : b.ops) {
        if (uses_a(i.op)) subst(i.a);
        if (uses_b(i.op)) subst(i.b);
        subst(i.c);
        subst(i.d);
        if (is_commutative(i.op) && i.a.is_imm && i.b.is_temp()) std::swap(i.a, i.b);  // immediates go last
        if (i.dst != kNoTemp) redefined(i.dst);
        if (is_pure(i.op)) {
            const bool all_imm = i.a.is_imm && (!uses_b(i.op) || i.b.is_imm);
            if (all_imm) {
                const uint64_t v = fold(i.op, i.cond, i.a.imm, i.b.imm);
                known[i.dst] = v;
                if (!is_global(i.dst)) continue;  // a local constant lives on only as immediates
                i.op = IrOp::Mov;
                i.a = Arg::i(v);
                i.b = Arg::i(0);
            } else if ((i.op == IrOp::And || i.op == IrOp::Mul) && i.b.is_imm && i.b.imm == 0) {  // r & 0, r * 0
                known[i.dst] = 0;
                if (!is_global(i.dst)) continue;
                i.op = IrOp::Mov;
                i.a = Arg::i(0);
            } else {
                known[i.dst].reset();
                if (is_identity(i)) {
                    i.op = IrOp::Mov;
                    i.b = Arg::i(0);
                }
                if (i.op == IrOp::Mov && !is_global(i.dst) && i.a.is_temp()) {
                    copy[i.dst] = i.a.temp;
                    copies.push_back(i.dst);
                }
            }
        } else if (i.op == IrOp::Branch && i.a.is_imm && i.b.is_imm) {
            i.target = eval_cond(i.cond, i.a.imm, i.b.imm) ? i.target : i.fallthrough;
            i.op = IrOp::GotoTb;
        } else if (i.op == IrOp::ExitIf && i.a.is_imm && i.b.is_imm) {
            if (!eval_cond(i.cond, i.a.imm, i.b.imm)) continue;  // never taken
            i.op = IrOp::GotoTb;  // always taken: the rest of the block is unreachable
            out.push_back(i);
            break;
        } else if (i.dst != kNoTemp) {
            known[i.dst].reset();
        }
        out.push_back(i);
    }
    b.ops = std::move(out);
}

void fuse_shift_add(IrBlock& b)
{
    std::vector<bool> fused(b.ops.size(), false);
    for (size_t k = 0; k < b.ops.size(); ++k) {
        const IrInsn& s = b.ops[k];
        // x global too: a local lives within its own guest instruction only (the backend's pool
        // is sized for that), and the add may belong to a later one.
        if (s.op != IrOp::Shl || !is_global(s.dst) || !s.a.is_temp() || !is_global(s.a.temp) || !s.b.is_imm ||
            s.b.imm < 1 || s.b.imm > 3)
            continue;
        const Temp g = s.dst, x = s.a.temp;
        for (size_t m = k + 1; m < b.ops.size(); ++m) {
            IrInsn& i = b.ops[m];
            if (!is_pure(i.op)) break;
            const bool a_is_g = i.a.is_temp() && i.a.temp == g;
            const bool b_is_g = uses_b(i.op) && i.b.is_temp() && i.b.temp == g;
            if (i.op == IrOp::Add && i.dst == g && a_is_g != b_is_g) {
                const Arg y = a_is_g ? i.b : i.a;
                if (y.is_imm && !fits_simm32(y.imm)) break;  // lea's disp32
                i.op = IrOp::AddShl;
                i.a = y;
                i.b = Arg::t(x);
                i.shift = uint8_t(s.b.imm);
                fused[k] = true;
                break;
            }
            if (a_is_g || b_is_g || i.dst == g || i.dst == x) break;
        }
    }
    std::vector<IrInsn> kept;
    kept.reserve(b.ops.size());
    for (size_t k = 0; k < b.ops.size(); ++k)
        if (!fused[k]) kept.push_back(b.ops[k]);
    b.ops = std::move(kept);
}

void remove_dead_temps(IrBlock& b)
{
    std::vector<bool> live(b.next_temp, false);
    std::vector<IrInsn> kept;
    kept.reserve(b.ops.size());
    for (auto it = b.ops.rbegin(); it != b.ops.rend(); ++it) {
        const IrInsn& i = *it;
        if (is_pure(i.op) && !is_global(i.dst) && !live[i.dst]) continue;
        if (i.dst != kNoTemp && !is_global(i.dst)) live[i.dst] = false;
        if (uses_a(i.op) && i.a.is_temp()) live[i.a.temp] = true;
        if (uses_b(i.op) && i.b.is_temp()) live[i.b.temp] = true;
        if (i.c.is_temp()) live[i.c.temp] = true;
        if (i.d.is_temp()) live[i.d.temp] = true;
        kept.push_back(i);
    }
    b.ops.assign(kept.rbegin(), kept.rend());
}

}  // namespace locklab::rv::tcg
