// JIT backend: IR -> x86-64 (System V) with Xbyak.
//
// Register conventions inside generated code:
//   rbp = Hart*; rbx = h.instret - base (negative while budget remains: see EnterFn), the live
//   instruction count, which h.instret only receives when code leaves or calls a helper that may
//   read it; r12 = the data TlbTable of the current translation context; rax, rcx, rdx = scratch;
//   r13-r15, r9-r11 = the guest registers of backend_x64.cpp's kPinned (a0, a2-a5, sp) for as long as
//   generated code runs: chained blocks hand them over without memory traffic; h.x receives them
//   around helpers that read or write it and when code leaves;
//   rsi, rdi, r8 = the per-block register allocator's pool (other guest registers cached there
//   within a block, written back at exits, helper calls and on the slow path of a memory access).
// The stack frame (rsp, 16-byte aligned, constant in block code outside slow paths) holds `base`
// (kFrameBase in backend_x64.cpp).
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

// Per-hart run state of the JIT loop.
struct JitCpu {
    uint64_t stop = 0;  // leave at a block exit once h.instret reaches this (the budget)
};

enum ExitCode : uint64_t {
    kExitLookup = 0,  // h.pc holds the next pc: look it up
    kExitTrap = 1,    // a trap was raised: h.pc is the faulting instruction, h.instret exact
    kExitSystem = 2,  // a SYSTEM operation completed: h.instret counts the ones before it, h.next_pc set
};

// Called by generated code at a block's end, with h.pc current and the budget checked: the host code
// to continue at (the block at h.pc, already translated, after the same checks as the run loop's:
// exit request, fetch TLB), or null to return to the run loop. `from` is
// (TranslationBlock* | slot) for a direct exit, which it may chain, or 0 for an indirect jump.
using NextFn = const uint8_t* (*)(Hart*, uint64_t from);

// enter(h, base, data_tlb, code): runs generated code from `code` until it leaves; returns the
// ExitCode. Generated code leaves at a block exit once h.instret >= base (the budget's stop, capped
// so that h.instret - base fits a negative int64).
using EnterFn = uint64_t (*)(Hart*, uint64_t base, TlbTable*, const void*);

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
