// JIT backend: IR -> x86-64 (System V) with Xbyak.
//
// Register conventions inside generated code:
//   rbp = Hart*; rbx = h.instret - base (negative while budget remains: see EnterFn), the live
//   instruction count, which h.instret only receives when code leaves or calls a helper that may
//   read it; r12 = the data TlbTable of the current translation context; rax, rcx, rdx = scratch;
//   r13-r15, r9-r11 = the six guest registers of the trampoline's PinnedRegs for as long as
//   generated code runs: chained blocks hand them over without memory traffic; h.x receives them
//   around helpers that read or write it and when code leaves;
//   rsi, rdi, r8 = the per-block register allocator's pool (other guest registers cached there
//   within a block, written back at exits, helper calls and on the slow path of a memory access).
// The stack frame (rsp, 16-byte aligned, constant in block code outside slow paths) holds `base`
// (kFrameBase in backend_x64.cpp).
// Code is entered through the trampoline (emit_trampoline) and leaves by jumping to its epilogue with
// an exit code (ExitCode) in rax.
#pragma once

#include <array>
#include <cstddef>
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

// The guest registers generated code keeps in host registers across blocks: guest[k] lives in the
// k-th of r13, r14, r15, r9, r10, r11 (the first three survive helper calls, so the hottest go
// there). Distinct, none of them x0. The engine chooses them from a profile of the code that runs
// (cpu/tcg/register_profile.h); the default is GCC's first choices (a5, a4, a3, a2, a0) and sp.
struct PinnedRegs {
    static constexpr size_t kCount = 6;
    std::array<uint8_t, kCount> guest{15, 14, 13, 12, 10, 2};
    bool operator==(const PinnedRegs&) const = default;
};

// What generated code reads to look an indirect jump's target up without a call (the same checks
// as NextFn: no flush pending, the current fetch TLB context maps the target's page to RAM, the
// jump cache holds the block for that (virtual, physical) pc). All per hart, stable for its life.
struct IndirectLookup {
    const bool* flush_pending = nullptr;           // null: no inline lookup, always NextFn
    TlbTable* const* fetch_table = nullptr;        // &h.tlb->fetch
    TranslationBlock* const* jump_cache = nullptr;  // TbCache::jump_cache(), slots by TbCache::slot()
};

struct Trampoline {
    PinnedRegs pinned;      // what the trampoline loads and stores, and every block compiled for it keeps
    IndirectLookup lookup;  // set by the owner before compiling blocks
    EnterFn enter = nullptr;
    const uint8_t* epilogue = nullptr;
    // Shared tail of every block exit that looks its successor up (to_next): entered by a jump with
    // h.pc set and rsi = NextFn's `from`; calls `next` (the caller-saved pinned registers through
    // h.x) and jumps to the code it returns, or leaves through the epilogue (kExitLookup). One copy
    // instead of ~80 bytes in every exit.
    const uint8_t* to_next = nullptr;
    size_t bytes = 0;
};

// Emit the trampoline at the start of an empty code buffer. It loads the guest registers the blocks
// keep in host registers (`pinned`) from h.x on entry and stores them on exit; its to_next calls
// `next`.
Trampoline emit_trampoline(CodeBuffer& buf, const HartLayout& layout, const PinnedRegs& pinned, NextFn next);

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
