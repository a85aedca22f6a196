// JIT backend: IR -> x86-64 (System V) with Xbyak.
//
// Register conventions inside generated code:
//   rbp = Hart*, rbx = JitCpu*, r12 = the data TlbTable of the current translation context;
//   rax, rcx, rdx = scratch; r13-r15 = guest a5, a4, a3 for as long as generated code runs
//   (pinned); rsi, rdi, r8-r11 = the per-block register allocator's pool (other guest registers
//   cached there within a block, written back at exits, helper calls and on the slow path of a
//   memory access).
// Code is entered through the trampoline (emit_trampoline) and leaves by jumping to its epilogue with
// an exit code (ExitCode) in rax.
#pragma once

#include <cstdint>

#include "cpu/hart.h"
#include "cpu/tcg/code_buffer.h"
#include "cpu/tcg/ir.h"
#include "cpu/tcg/tb.h"
#include "cpu/tlb.h"

namespace locklab::rv::tcg {

// Byte offsets of the Hart fields generated code touches (Hart is not standard-layout, so they are
// measured on an instance; they are the same for every Hart).
struct HartLayout {
    int32_t x = 0, pc = 0, next_pc = 0, instret = 0, exit_request = 0;
    static HartLayout of(const Hart& h);
};

// Per-hart state generated code reads through rbx.
struct JitCpu {
    uint64_t stop = 0;       // leave at a block entry once h.instret reaches this (the budget)
    uint64_t saved_rsp = 0;  // the trampoline's stack pointer, restored by the epilogue
};

enum ExitCode : uint64_t {
    kExitLookup = 0,  // h.pc holds the next pc: look it up
    kExitTrap = 1,    // a trap was raised: h.pc is the faulting instruction, h.instret exact
    kExitSystem = 2,  // a SYSTEM operation completed: h.instret counts the ones before it, h.next_pc set
};

// Called by generated code at a block's end, with h.pc and h.instret current: the host code to
// continue at (the block at h.pc, already translated, after the same checks as the run loop's:
// exit request, budget, fetch TLB), or null to return to the run loop. `from` is
// (TranslationBlock* | slot) for a direct exit, which it may chain, or 0 for an indirect jump.
using NextFn = const uint8_t* (*)(Hart*, uint64_t from);

using EnterFn = uint64_t (*)(Hart*, JitCpu*, TlbTable*, const void*);

struct Trampoline {
    NextFn next = nullptr;  // set by the owner before compiling blocks
    EnterFn enter = nullptr;
    const uint8_t* epilogue = nullptr;
    size_t bytes = 0;
};

// Emit the trampoline at the start of an empty code buffer. It loads the guest registers the blocks
// keep in host registers (backend_x64.cpp's kPinned) from h.x on entry and stores them on exit.
Trampoline emit_trampoline(CodeBuffer& buf, const HartLayout& layout);

// Thrown when the code buffer has no room left for a block (the caller flushes and retries).
struct CodeBufferFull {};

// Compile `b` (whose guest instructions are tb.guest) into `buf`; sets tb.code, code_size and the
// jump sites. Throws CodeBufferFull.
void compile(const IrBlock& b, TranslationBlock& tb, CodeBuffer& buf, const HartLayout& layout,
             const Trampoline& tramp);

// Point direct exit `slot` of `from` at `to` (chaining). Blocks are only ever dropped all at once
// (flush), together with every jump into them, so no jump needs unpatching.
void patch_jump(TranslationBlock& from, unsigned slot, const uint8_t* to);

}  // namespace locklab::rv::tcg
