// A generated test program: the instructions of its body (with symbolic jump targets, so that the
// shrinker can drop instructions and re-lay the rest out) and the initial machine state it runs
// from. Programs are plain data: generator.cpp makes them, machine.cpp loads them, shrink.cpp
// takes them apart.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cpu/hart.h"

namespace locklab::rv::difftest {

// How an instruction's immediate is computed from its target when the body is laid out.
enum class Fixup : uint8_t {
    None,
    Branch,    // B-type: target - pc
    Jal,       // J-type: target - pc
    CBranch,   // c.beqz / c.bnez
    CJump,     // c.j
    PcrelImm,  // I-type immediate (addi/jalr) = target - address of the `anchor` auipc
};

struct Insn {
    uint32_t bits = 0;  // the encoding, with a zero immediate field when fixup != None
    uint8_t len = 4;    // 2 or 4
    Fixup fixup = Fixup::None;
    int32_t target = -1;  // body index of the jump target (fixups)
    int32_t anchor = -1;  // body index of the auipc a PcrelImm is relative to
    uint32_t unit = 0;    // generator unit: the shrinker first drops whole units
    // Dropped only together with its unit: the fence.i after a store into code (without it, which
    // instruction runs is up to the engine, and the shrinker must not wander into such a program).
    bool pinned = false;
};

// One leaf of the Sv39 tables: a 4 KiB page (level 0) or a 2 MiB megapage (level 1).
struct Mapping {
    uint64_t va = 0;
    uint64_t pa = 0;
    uint64_t flags = 0;  // PTE_V | PTE_R | ... (V may be clear: an invalid entry)
    int level = 0;
};

struct InitialState {
    uint64_t x[32] = {};  // every register (the reserved ones hold their layout.h values)
    uint64_t mstatus = 0;
    uint64_t satp = 0;
    uint64_t mcounteren = 0, scounteren = 0;
    std::vector<Mapping> mappings;  // page tables to build (used when satp selects Sv39)
    std::vector<uint8_t> data;      // initial contents of the data pages
    std::vector<uint8_t> mmio;      // initial contents of the test device's registers
};

struct Program {
    uint64_t seed = 0;
    uint64_t code_base = 0;  // where the body starts (in [kCode, kCode + 4 KiB), 2-byte aligned)
    std::vector<Insn> body;  // the last instruction is the exit ecall
    InitialState init;

    // Addresses of the body's instructions (laid out from kCode).
    std::vector<uint64_t> addresses() const;
    // The final encoding of instruction i, immediates filled in from `addrs`.
    uint32_t encode(size_t i, const std::vector<uint64_t>& addrs) const;
    // The program with only the instructions where keep[i] is set (the exit ecall always stays).
    // Jump targets that were dropped move to the next instruction kept.
    Program subset(const std::vector<bool>& keep) const;
    // Number of instructions other than the exit ecall.
    size_t size() const { return body.empty() ? 0 : body.size() - 1; }
};

// The body disassembled, one `-d in_asm` line per instruction ("0x80002000: 00b50533  add a0,a0,a1").
std::string listing(const Program& p);
// The body as an assembler snippet (.2byte/.4byte with the disassembly as comment).
std::string assembly(const Program& p);
// The initial state in a few lines (registers that differ from zero, mstatus, satp, mappings).
std::string describe_initial_state(const Program& p);

}  // namespace locklab::rv::difftest
