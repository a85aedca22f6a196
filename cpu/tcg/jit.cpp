// The JIT's run loop (run_jit) and translation driver: Hart::run()'s contract on translated code.
//
// The loop looks the block at h.pc up (fetch TLB check first, exactly as the interpreter does at a
// block entry), enters its host code and acts on the exit code: look the next pc up, take a trap,
// or finish a SYSTEM operation (instret, pc, pending interrupts, WFI). Between blocks, generated code
// stays in generated code through Engine::next() (already translated successors; direct exits get
// chained there). Exit requests are checked here, in next() and at every block entry in the
// generated code, so a vCPU in chained code can always be kicked out; the budget here and at every
// block exit in the generated code.
#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "cpu/code_map.h"
#include "cpu/privileged.h"
#include "cpu/semantics.h"
#include "cpu/step.h"
#include "cpu/tcg/engine.h"
#include "cpu/tcg/frontend.h"
#include "cpu/tcg/optimize.h"
#include "cpu/tcg/out_asm.h"

namespace locklab::rv::tcg {

namespace {

// Room for the trampoline and the largest block (kMaxBlockInsns instructions with their slow paths).
constexpr size_t kMinCodeBuffer = size_t(64) << 10;


}  // namespace

Engine::Engine(const Hart& h, const JitOptions& o)
    : opts(o), layout_(HartLayout::of(h)), as_(h.as), code_(std::max(o.code_buffer_bytes, kMinCodeBuffer)),
      fetch_table_(&h.tlb->fetch)
{
    if (opts.max_block_insns == 0) opts.max_block_insns = 1;
    tramp_ = new_trampoline(PinnedRegs{});
}

Trampoline Engine::new_trampoline(const PinnedRegs& pinned)
{
    Trampoline t = emit_trampoline(code_, layout_, pinned, &Engine::next);
    t.lookup = {&flush_pending_, fetch_table_, tbs_.jump_cache()};
    return t;
}

const uint8_t* Engine::next(Hart* hp, uint64_t from)
{
    Hart& h = *hp;
    Engine& e = *h.jit;
    // The exiting block checked the budget (h.instret is not current while generated code runs).
    if (h.exit_request.load(std::memory_order_relaxed) || e.flush_pending_) return nullptr;
    // The fetch TLB check of the run loop, hits only: a miss or fault is the loop's business.
    const TlbTable& t = *h.tlb->fetch;
    const size_t i = TlbTable::index(h.pc);
    const uint64_t tag = t.entry[i].tag[size_t(AccessType::Fetch)];
    if ((tag & kPageMask) != (h.pc & kPageMask) || (tag & (kTlbEmpty | kTlbMmio))) return nullptr;
    TranslationBlock* to = e.tbs_.find(h.pc, h.pc + t.pa_addend[i], e.phys_data(h));
    if (!to) return nullptr;
    if (from) e.chain(*reinterpret_cast<TranslationBlock*>(from & ~uint64_t(7)), unsigned(from & 7), *to);
    return to->code;
}

void Engine::flush()
{
    tbs_.flush();
    if (repin_) {
        code_.reset(0);
        tramp_ = new_trampoline(*repin_);
        repin_.reset();
        ++stats.remaps;
    } else {
        code_.reset(tramp_.bytes);
    }
    flush_pending_ = false;
    ram_.reset();  // taken again before the next translation: a view change (hot-plug) flushes (ram_window.h)
    ++stats.flushes;
}

void Engine::sample_profile(const Hart& h)
{
    if (!opts.profile_registers || repin_ || tbs_.size() > opts.profile_max_blocks) return;
    const TranslationBlock* tb = tbs_.peek(h.pc);
    if (!tb) return;
    if (std::optional<PinnedRegs> p = profile_.sample(tb->reg_uses, tramp_.pinned)) {
        repin_ = *p;
        flush_pending_ = true;
        if (trace.tb_stats) {
            std::FILE* out = trace.log ? trace.log : stderr;
            fmt::print(out, "remap pinned registers to x{} x{} x{} x{} x{} x{}\n", p->guest[0], p->guest[1],
                       p->guest[2], p->guest[3], p->guest[4], p->guest[5]);
        }
    }
}

TranslationBlock* Engine::lookup(Hart& h, const PageRef& page)
{
    if (TranslationBlock* tb = tbs_.find(h.pc, page.pa, phys_data(h))) return tb;
    return translate(h, page);
}

TranslationBlock* Engine::translate(Hart& h, const PageRef& page)
{
    const auto start = std::chrono::steady_clock::now();
    auto tb = std::make_unique<TranslationBlock>();
    tb->pc = h.pc;
    tb->pa = page.pa;
    if (!ram_) ram_ = opts.ram_window ? find_ram_window(as_) : RamWindow{};
    tb->phys_data = phys_data(h);
    tb->guest = decode_guest_block(page.host, h.pc, opts.max_block_insns, std::min(opts.side_exits, kMaxSideExits));
    if (tb->guest.empty()) return nullptr;
    const GuestInsn& last = tb->guest.back();
    tb->guest_bytes = uint32_t(last.pc + last.d.len - h.pc);
    if (!track_decoded_code(h, page.pa, tb->guest_bytes, [&] {
            for (const GuestInsn& g : tb->guest)
                if (!insn_unchanged(page.host + (g.pc - h.pc), g.d)) return false;
            return true;
        }))
        return nullptr;  // untracked, or rewritten meanwhile: run uncached
    if (h.on_block_decoded) {
        std::vector<DecodedInsn> insns;
        for (const GuestInsn& g : tb->guest) insns.push_back(g.d);
        h.on_block_decoded(h, h.pc, insns.data(), insns.size());
    }
    IrBlock ir = build_ir(h.pc, tb->guest);
    if (tb->phys_data) ir.ram = *ram_;
    if (opts.optimize) optimize(ir);
    tb->reg_uses = RegisterProfile::count_uses(ir);
    try {
        compile(ir, *tb, code_, layout_, tramp_);
    } catch (const CodeBufferFull&) {
        flush();
        compile(ir, *tb, code_, layout_, tramp_);  // an empty buffer holds any block
    }
    const uint64_t ns = uint64_t(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
    stats.blocks_translated += 1;
    stats.guest_insns_translated += tb->guest.size();
    stats.host_bytes += tb->code_size;
    stats.translate_ns += ns;
    if (trace.out_asm || trace.tb_stats) trace_block(*tb, ir.ops.size(), ns);
    if (trace.perfmap)  // one fprintf: stdio locks the stream per call, so harts' lines do not mix
        fmt::print(trace.perfmap, "{:x} {:x} tb_{:x}{}\n", reinterpret_cast<uintptr_t>(tb->code), tb->code_size, tb->pc,
                   tb->phys_data ? "_phys" : "");
    return tbs_.insert(std::move(tb));
}

void Engine::chain(TranslationBlock& from, unsigned slot, TranslationBlock& to)
{
    if (!opts.chaining || from.invalid || ((from.pc ^ to.pc) & kPageMask) != 0 || from.jmp_target[slot] != to.pc ||
        from.phys_data != to.phys_data)
        return;
    patch_jump(from, slot, to.code);
    from.chained_to[slot] = &to;
    ++stats.chains;
}

void Engine::trace_block(const TranslationBlock& tb, size_t ir_ops, uint64_t ns)
{
    std::FILE* out = trace.log ? trace.log : stderr;
    if (trace.tb_stats)
        fmt::print(out, "tb pc={:#x} pa={:#x} guest_insns={} ir_ops={} host_bytes={} translate_ns={}\n", tb.pc,
                   tb.pa, tb.guest.size(), ir_ops, tb.code_size, ns);
    if (trace.out_asm) {
        fmt::print(out, "OUT: [size={}] for guest pc {:#x}\n{}\n", tb.code_size, tb.pc,
                   disassemble_host(tb.code, tb.code_size));
    }
}

void enable_jit(Hart& h, const JitOptions& opts)
{
    if (!h.jit) h.jit = std::make_unique<Engine>(h, opts);
}

bool jit_enabled(const Hart& h) { return h.jit != nullptr; }

JitStats jit_stats(const Hart& h) { return h.jit ? h.jit->stats : JitStats{}; }

std::vector<unsigned> jit_pinned_registers(const Hart& h)
{
    if (!h.jit) return {};
    const PinnedRegs& p = h.jit->pinned();
    return {p.guest.begin(), p.guest.end()};
}

void set_jit_trace(Hart& h, const JitTrace& t)
{
    if (h.jit) h.jit->trace = t;
}

RunExit run_jit(Hart& h, uint64_t budget)
{
    Engine& e = *h.jit;
    const uint64_t stop = budget > ~h.instret ? ~uint64_t(0) : h.instret + budget;
    e.cpu.stop = stop;
    uint64_t slow_steps = 0;  // traps and uncached instructions count against the budget too
    for (;;) {
        if (h.exit_request.load(std::memory_order_relaxed)) [[unlikely]] {
            // Acquire: whatever the kicker published before kick() (mip bits, queued work) is visible.
            h.exit_request.exchange(false, std::memory_order_acquire);
            take_pending_interrupt(h);
            return RunExit::ExitRequest;
        }
        if (h.instret + slow_steps >= stop) {
            e.sample_profile(h);
            return RunExit::BudgetDone;
        }
        e.flush_if_requested();
        e.collect();
        h.tlb->code_written = false;  // consumed by the store helper; a helper call (AMO) leaves it
        PageRef page;
        TranslationBlock* tb = nullptr;
        if (h.pc & (sem::kIalign - 1)) {  // only a bad reset entry can get here
            h.raise(Exception::InsnMisaligned, h.pc);
        } else if (tlb_resolve(h, *h.tlb->fetch, h.pc, AccessType::Fetch, page)) {
            if (page.host) tb = e.lookup(h, page);
            if (!tb) {  // code outside RAM or straddling a page: one instruction at a time
                ++slow_steps;
                if (step_uncached(h)) return RunExit::Wfi;
                continue;
            }
        }
        if (!tb) {  // fetch fault
            ++slow_steps;
            take_exception(h);
            continue;
        }
        switch (e.enter(h, *tb)) {
        case kExitLookup: break;
        case kExitTrap:
            ++slow_steps;
            take_exception(h);
            break;
        case kExitSystem:  // the SYSTEM operation ending the block retired
            h.instret += 1;
            h.pc = h.next_pc;
            take_pending_interrupt(h);
            if (h.wfi) return RunExit::Wfi;
            break;
        }
    }
}

}  // namespace locklab::rv::tcg
