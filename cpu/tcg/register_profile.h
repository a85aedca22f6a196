// Which guest registers the JIT keeps in host registers (PinnedRegs, cpu/tcg/backend_x64.h), chosen
// from the code that actually runs rather than fixed in advance.
//
// Why: six guest registers can live in host registers across blocks; the rest are loaded from and
// stored to h.x inside every block that uses them. A fixed choice (GCC's a5, a4, a3, a2, a0 and sp)
// suits leaf loops, but code whose hot loop keeps its state in s- or t-registers (a loop around
// calls, a quicksort's partition) pays a load and a store per register per block. The profile
// samples, each time a hart's budget runs out, the block it is about to run — an execution-weighted
// sample of where time goes, at no cost to generated code — and adds up the loads and stores of
// guest registers pinning would save in that block.
// Every `interval` samples it proposes the six heaviest registers when they beat the current choice
// clearly (hysteresis), and the engine then drops its translations and retranslates with them.
// Each switch doubles the interval, so a program alternating between phases cannot make the engine
// retranslate more than a bounded fraction of the time; and the engine samples only while a hart
// has few translations cached (JitOptions::profile_max_blocks): an operating system's working set
// is too large to retranslate for a few loads and stores saved.
//
// Threading: per hart, home thread only (owned by the hart's Engine).
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "cpu/tcg/backend_x64.h"
#include "cpu/tcg/ir.h"

namespace locklab::rv::tcg {

class RegisterProfile {
public:
    // What pinning each guest register would save per execution of one block: 1 if the block
    // reads it (a load from h.x) plus 1 if it writes it (a store back at the exit); x0 none.
    using Uses = std::array<uint8_t, kGuestRegs>;
    static Uses count_uses(const IrBlock& b);

    static constexpr uint32_t kFirstInterval = 64;
    static constexpr uint32_t kMaxInterval = 1u << 14;

    // One sample: the uses of the block a hart is about to run. Returns the registers to pin
    // instead of `current` when a decision point is reached and they carry at least 11/10 of
    // current's weight; nullopt otherwise.
    std::optional<PinnedRegs> sample(const Uses& u, const PinnedRegs& current);

    uint32_t interval() const { return interval_; }

private:
    std::optional<PinnedRegs> decide(const PinnedRegs& current);

    std::array<uint64_t, kGuestRegs> weight_{};
    uint32_t samples_ = 0;
    uint32_t interval_ = kFirstInterval;
};

}  // namespace locklab::rv::tcg
