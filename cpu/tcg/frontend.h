// JIT frontend: guest code -> IR (cpu/tcg/ir.h).
#pragma once

#include <cstdint>
#include <vector>

#include "cpu/tcg/ir.h"

namespace locklab::rv::tcg {

// Decode the guest block at virtual `pc` whose bytes start at host address `host` (RAM; the block
// stays inside that page): at most `max_insns` instructions, ending after a control transfer or an
// OPF_SYSTEM operation, or before an instruction straddling the page end. Empty if the first
// instruction straddles it. With `side_exits` > 0 the block is a superblock: it goes on past up to
// that many forward conditional branches (their taken side leaves the block, the not-taken side is
// the instruction after them) and ends at the next one, at a backward branch (a loop's, whose taken
// side is the hot one), an unconditional jump or a SYSTEM operation.
std::vector<GuestInsn> decode_guest_block(const uint8_t* host, uint64_t pc, uint32_t max_insns,
                                          uint32_t side_exits = 0);

// Lower a decoded block to IR. A block that does not end in a control transfer or SYSTEM operation
// ends in a GotoTb to the next instruction; a conditional branch before the last instruction is a
// side exit (ExitIf).
IrBlock build_ir(uint64_t pc, std::vector<GuestInsn> insns);

}  // namespace locklab::rv::tcg
