// IR passes run on every block before the backend sees it.
#pragma once

#include "cpu/tcg/ir.h"

namespace locklab::rv::tcg {

// Whether `op` computes dst from its arguments only (no memory, no helper, no control flow).
bool is_pure(IrOp op);
// The value a pure operation produces from immediate arguments.
uint64_t fold(IrOp op, Cond cond, uint64_t a, uint64_t b);

// Constant propagation and folding: temps with a value known inside the block become immediates,
// operations on immediates are evaluated (writes to guest registers stay, as moves of the value), a
// branch on two immediates becomes a direct jump (a side exit on two immediates disappears or ends
// the block there), identities (x+0, x|0, x<<0, x/1, ...) become moves,
// x&0 and x*0 become 0, and a commutative operation takes its immediate as the second operand.
void fold_constants(IrBlock& b);
// Drop pure operations whose local result is never used (guest registers are live at every exit).
void remove_dead_temps(IrBlock& b);
// A shift left by 1..3 of a guest register into guest register g, followed (past pure operations
// that neither read g nor write g or the shifted register) by an add that overwrites g with g + y:
// one AddShl (g = y + (x << s), an x86 lea) instead, the shift dropped. Its result was dead: nothing
// between could observe g (no exit, access, call or Select). Array indexing (`slli a5,a5,2; add
// a5,a5,a0`) and multiplications by 3, 5, 9 (`slli t,x,1; add t,t,x`) take one instruction and one
// cycle of latency fewer. Runs after fold_constants (fold() knows no AddShl).
void fuse_shift_add(IrBlock& b);

inline void optimize(IrBlock& b)
{
    fold_constants(b);
    remove_dead_temps(b);
    fuse_shift_add(b);
}

}  // namespace locklab::rv::tcg
