// The JIT's entry points (`--accel jit`): guest blocks are translated to a small IR (cpu/tcg/ir.h)
// by the frontend (cpu/tcg/frontend.cpp), optimised (cpu/tcg/optimize.cpp) and compiled to x86-64
// by the backend (cpu/tcg/backend_x64.cpp). Translation blocks are cached per hart and chained.
//
// A hart runs through the JIT once enable_jit() has been called on it: Hart::run() then hands its
// block loop to run_jit(), with the same contract (budget, exit requests, WFI, traps taken inside).
// The interpreter stays the reference; the differential tester runs the same program both ways.
//
// Threading: everything here is per hart and home-thread only, like the interpreter's block cache
// (enable_jit() before the hart first runs, or on its home thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "cpu/hart.h"

namespace locklab::rv::tcg {

struct JitOptions {
    // Upper bound on guest instructions per translation block (1 makes every instruction its own
    // block: slow, but a budget is then met exactly, which the differential tester may want).
    uint32_t max_block_insns = 64;
    // Superblocks: how many conditional branches a block may go past (their taken side leaves it,
    // the rest of the block is the not-taken side; at most kMaxSideExits, cpu/tcg/tb.h). 0: a block
    // ends at every branch, as in QEMU.
    uint32_t side_exits = 6;
    bool chaining = true;    // patch direct jumps between blocks
    bool optimize = true;    // run the IR passes (constant folding, dead temps)
    // Loads of blocks that run with untranslated data accesses (M-mode without MPRV) go straight to
    // the machine's RAM when the address lies in it: a bounds compare instead of a TLB lookup
    // (cpu/tcg/ram_window.h). Off: every access takes the TLB path, as in QEMU.
    bool ram_window = true;
    // Choose the guest registers kept in host registers from a profile of the running code
    // (cpu/tcg/register_profile.h); off: always the default PinnedRegs.
    bool profile_registers = true;
    // ... but only while the hart has at most this many translations cached: a switch drops them
    // all, and retranslating a large working set costs more than pinning saves (Linux boot: three
    // switches after 131, 2,911 and 11,127 translations made it retranslate a third of its 29,000
    // blocks, 1.50 s instead of 1.12 s). A compute kernel's hot set is a few hundred blocks.
    size_t profile_max_blocks = 1024;
    size_t code_buffer_bytes = size_t(32) << 20;  // executable memory; all of it is flushed when full
};

// Per-TB and total statistics (`-d tb_stats`).
struct JitStats {
    uint64_t blocks_translated = 0;
    uint64_t guest_insns_translated = 0;
    uint64_t host_bytes = 0;
    uint64_t translate_ns = 0;  // wall time spent translating (frontend + passes + backend)
    uint64_t flushes = 0;       // whole-cache flushes (fence.i, code buffer full)
    uint64_t chains = 0;        // direct jumps patched
    uint64_t remaps = 0;        // switches to other pinned registers (each drops every translation)
};

// Switch `h` to the JIT (allocates its translation state; idempotent).
void enable_jit(Hart& h, const JitOptions& opts = {});
// Whether Hart::run() executes `h` through the JIT.
bool jit_enabled(const Hart& h);

// The JIT's block loop: Hart::run()'s contract (executes at least `budget` instructions unless WFI,
// an exit request or a trap path ends it earlier; takes traps and interrupts itself). Called by
// Hart::run() inside its RCU read section; requires enable_jit(h).
RunExit run_jit(Hart& h, uint64_t budget);

// Statistics of `h`'s JIT so far (zeros when the JIT is off).
JitStats jit_stats(const Hart& h);
// The guest registers `h`'s generated code keeps in host registers now (empty when the JIT is off).
std::vector<unsigned> jit_pinned_registers(const Hart& h);

// Tracing (null sinks when off): `-d out_asm` prints each translated block's host code through
// Capstone, `-d tb_stats` one line per translated block.
struct JitTrace {
    bool out_asm = false;
    bool tb_stats = false;
    std::FILE* log = nullptr;  // where the lines go (stderr if null)
    // `-perfmap`: one line per translated block, "<host address> <size> <name>" (hex, the format
    // of Linux perf's /tmp/perf-<pid>.map), so `perf report` names samples in generated code.
    std::FILE* perfmap = nullptr;
};
void set_jit_trace(Hart& h, const JitTrace& t);

}  // namespace locklab::rv::tcg
