// The M-mode trap handler every test program runs with (mtvec = kHandler, direct mode). It is guest
// code, so both engines execute it and its records end up in the compared memory:
//  - a trap at the exit ecall (address in the context) ends the program: jump to `done`;
//  - any other trap appends {mcause, mtval, mepc, mstatus} to the ring at kCtx + kCtxLog;
//  - an instruction fetch fault also ends the program (there is nothing to skip to);
//  - an interrupt (the program sets mip.SSIP/STIP/SEIP and enables them in mie) clears those
//    pending bits and returns to mepc;
//  - an ecall from S or U returns to M-mode (MPP = M): the generator's way back from S/U;
//  - otherwise it returns past the trapping instruction (mepc + 2 or 4) in the mode it came from.
// `done` clears mie and loops on WFI: the hart stops there (Hart::run returns RunExit::Wfi with the
// pc at done_pc()), which is how the harness knows the program has finished.
#pragma once

#include <cstdint>
#include <vector>

namespace locklab::rv::difftest {

// The handler's code, to be loaded at kHandler.
const std::vector<uint32_t>& handler_code();
// The pc of a hart that has finished a program (just after the WFI at `done`).
uint64_t done_pc();

}  // namespace locklab::rv::difftest
