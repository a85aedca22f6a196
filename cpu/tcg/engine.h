// The JIT state of one hart (Hart::jit): options, code buffer, translation-block cache, statistics.
// Home thread only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>

#include "cpu/hart.h"
#include "cpu/tcg/backend_x64.h"
#include "cpu/tcg/code_buffer.h"
#include "cpu/tcg/jit.h"
#include "cpu/tcg/ram_window.h"
#include "cpu/tcg/register_profile.h"
#include "cpu/tcg/tb.h"
#include "cpu/tlb.h"

namespace locklab::rv::tcg {

class Engine {
public:
    Engine(const Hart& h, const JitOptions& opts);

    // Whether h's data accesses are untranslated now, and the RAM window is on (a block translated
    // now gets TranslationBlock::phys_data). Changes only at a SYSTEM operation or a trap, which
    // end the block: chained and inline-looked-up successors share their predecessor's.
    bool phys_data(const Hart& h) const
    {
        return ram_ && ram_->size != 0 && h.tlb->data == &h.tlb->data_context[Tlb::context_index(Priv::M)];
    }
    // The block at h.pc, whose page the fetch TLB resolved to `page` (RAM), translated on a miss.
    // Null if its first instruction straddles the page end.
    TranslationBlock* lookup(Hart& h, const PageRef& page);
    // Drop every translation: at the next safe point (fence.i runs inside generated code).
    void request_flush() { flush_pending_ = true; }
    // Flush now if requested. Only where no generated code is running (the run loop).
    void flush_if_requested()
    {
        if (flush_pending_) flush();
    }
    // Self-modifying code (cpu/code_map.h): drop the TBs overlapping guest-physical [pa, pa + len);
    // the lines of the page at pa_page that cached TBs cover; free dropped TBs (run loop only).
    bool invalidate(uint64_t pa, uint64_t len) { return tbs_.invalidate(pa, len); }
    uint64_t code_lines(uint64_t pa_page) const { return tbs_.code_lines(pa_page); }
    // The hart ran out of budget with h.pc next: a sample for the register profile, which may
    // request a flush that retranslates with other pinned registers.
    void sample_profile(const Hart& h);
    const PinnedRegs& pinned() const { return tramp_.pinned; }
    void collect() { tbs_.collect(); }
    // Chain direct exit `slot` of `from` to `to` when both lie in one virtual page (the fetch
    // translation checked on entry to `from` then holds for `to`) and `from` was not invalidated.
    void chain(TranslationBlock& from, unsigned slot, TranslationBlock& to);
    // NextFn (backend_x64.h) for h's generated code.
    static const uint8_t* next(Hart* h, uint64_t from);
    // Requires h.instret < cpu.stop (the run loop checked the budget).
    uint64_t enter(Hart& h, const TranslationBlock& tb)
    {
        constexpr uint64_t kMaxRun = uint64_t(1) << 62;  // keeps h.instret - base a negative int64
        const uint64_t base = h.instret + std::min(cpu.stop - h.instret, kMaxRun);
        return tramp_.enter(&h, base, h.tlb->data, tb.code);
    }

    JitOptions opts;
    JitStats stats;
    JitTrace trace;
    JitCpu cpu;

private:
    void flush();
    // A trampoline for `pinned` at the start of the (empty) code buffer, wired to this engine.
    Trampoline new_trampoline(const PinnedRegs& pinned);
    TranslationBlock* translate(Hart& h, const PageRef& page);
    void trace_block(const TranslationBlock& tb, size_t ir_ops, uint64_t ns);

    HartLayout layout_;
    const AddressSpace& as_;  // h.as
    // find_ram_window(as_) (size 0 with opts.ram_window off), taken before the first translation
    // since the last flush; nullopt until then.
    std::optional<RamWindow> ram_;
    CodeBuffer code_;
    TlbTable* const* fetch_table_;  // &h.tlb->fetch (the hart's Tlb lives as long as the hart)
    Trampoline tramp_;
    TbCache tbs_;
    bool flush_pending_ = false;
    RegisterProfile profile_;
    std::optional<PinnedRegs> repin_;  // set: the next flush re-emits the trampoline with these
};

}  // namespace locklab::rv::tcg
