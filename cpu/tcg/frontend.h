// JIT frontend: guest code -> IR (cpu/tcg/ir.h).
#pragma once

#include <cstdint>
#include <vector>

#include "cpu/tcg/ir.h"

namespace locklab::rv::tcg {

// Decode the guest block at virtual `pc` whose bytes start at host address `host` (RAM; the block
// stays inside that page): at most `max_insns` instructions, ending after a control transfer or an
// OPF_SYSTEM operation, or before an instruction straddling the page end. Empty if the first
// instruction straddles it.
std::vector<GuestInsn> decode_guest_block(const uint8_t* host, uint64_t pc, uint32_t max_insns);

// Lower a decoded block to IR. A block that does not end in a control transfer or SYSTEM operation
// ends in a GotoTb to the next instruction.
IrBlock build_ir(uint64_t pc, std::vector<GuestInsn> insns);

}  // namespace locklab::rv::tcg
