// Hart::run(): the interpreter. Executes decoded blocks (cpu/block_cache.h) with threaded dispatch:
// each cached instruction holds the address of its handler label (GCC labels-as-values), every
// handler calls the instruction's exec_ function from cpu/semantics.h and jumps straight to the
// next instruction's handler.
//
// Per block, not per instruction: the fetch TLB check (at block entry), the budget and instret
// update (at block end), the exit_request poll (at block boundaries), and the successor lookup,
// which follows a block link when the successor starts in the same page.
//
// instret: h.instret counts retired instructions. It is exact whenever an OPF_SYSTEM operation
// executes (it then holds the instructions retired before it; the interpreter adds 1 once the
// operation completes) and after every trap (the trapping instruction does not retire).
//
// pc: h.pc/h.next_pc are set for the instructions that read them (branches, jumps, AUIPC, SYSTEM
// operations); for the others the trap path sets h.pc before take_exception(), which then sets
// h.pc to the trap handler.
#include <utility>

#include "cpu/block_cache.h"
#include "cpu/code_map.h"
#include "cpu/memory_access.h"
#include "cpu/privileged.h"
#include "cpu/semantics.h"
#include "cpu/step.h"
#include "cpu/tcg/jit.h"
#include "cpu/tlb.h"
#include "locking/rcu.h"

namespace locklab::rv {
namespace {

constexpr uint8_t kOpFlags[] = {
#define X(name, mnem, flags) flags,
#include "cpu/ops.def"
#undef X
};
constexpr bool is_system(Op op) { return kOpFlags[size_t(op)] & OPF_SYSTEM; }
constexpr bool is_branch(Op op) { return kOpFlags[size_t(op)] & OPF_BRANCH; }
constexpr bool ends_block(Op op) { return is_system(op) || is_branch(op); }
constexpr bool reads_pc(Op op) { return ends_block(op) || op == Op::AUIPC; }
constexpr bool is_mem(Op op) { return kOpFlags[size_t(op)] & OPF_MEM; }

// Decode the block at `pc` (host address `host`, physical `pa`). `labels` has one entry per Op and,
// at index Op::COUNT, the fall-through label used by the sentinel. Null if the first instruction
// straddles the page end (it is executed uncached).
std::unique_ptr<Block> decode_block(const Hart& h, uint8_t* host, uint64_t pa, uint64_t pc,
                                    const void* const* labels)
{
    auto b = std::make_unique<Block>();
    b->pa = pa;
    const uint64_t room = kPageSize - (pc & ~kPageMask);
    uint32_t off = 0;
    while (b->n < kMaxBlockInsns && off + 2 <= room) {
        const uint16_t lo = host_word<uint16_t>(host + off).load(std::memory_order_relaxed);
        const unsigned len = insn_length(lo);
        if (off + len > room) break;
        uint32_t bits = lo;
        if (len == 4) bits |= uint32_t(host_word<uint16_t>(host + off + 2).load(std::memory_order_relaxed)) << 16;
        const DecodedInsn d = decode(bits);
        b->insns.push_back({labels[size_t(d.op)], d, off});
        ++b->n;
        off += len;
        if (ends_block(d.op)) break;
    }
    if (b->n == 0) return nullptr;
    b->bytes = off;
    b->insns.push_back({labels[size_t(Op::COUNT)], DecodedInsn{}, off});
    if (h.on_block_decoded) {
        std::vector<DecodedInsn> insns;
        for (uint32_t i = 0; i < b->n; ++i) insns.push_back(b->insns[i].d);
        h.on_block_decoded(h, pc, insns.data(), insns.size());
    }
    return b;
}

enum class BlockLookup { Found, Uncached, Fault };

// Find (or decode) the block at h.pc, after the fetch TLB check.
BlockLookup lookup_block(Hart& h, const void* const* labels, Block*& out)
{
    if (h.pc & (sem::kIalign - 1)) {  // only a bad reset entry can get here
        h.raise(Exception::InsnMisaligned, h.pc);
        return BlockLookup::Fault;
    }
    PageRef page;
    if (!tlb_resolve(h, *h.tlb->fetch, h.pc, AccessType::Fetch, page)) return BlockLookup::Fault;
    if (!page.host) return BlockLookup::Uncached;  // code outside RAM: one instruction at a time
    BlockCache& cache = *h.blocks;
    out = cache.find(page.pa);
    if (out) return BlockLookup::Found;
    std::unique_ptr<Block> b = decode_block(h, page.host, page.pa, h.pc, labels);
    if (!b || !track_decoded_code(h, page.pa, b->bytes, [&] {
            for (uint32_t i = 0; i < b->n; ++i)
                if (!insn_unchanged(page.host + b->insns[i].offset, b->insns[i].d)) return false;
            return true;
        }))
        return BlockLookup::Uncached;
    out = cache.insert(std::move(b));
    return BlockLookup::Found;
}

// After a SYSTEM operation retired: a CSR write or xRET may have unmasked an interrupt. Returns
// whether the hart must wait (WFI).
bool after_system(Hart& h)
{
    take_pending_interrupt(h);
    return h.wfi;
}


#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"  // labels as values and computed goto (GNU C)

// The block loop. Trace = call h.on_insn_exec before every instruction (a separate instantiation,
// so the hook costs nothing when off).
template <bool Trace>
RunExit run_blocks(Hart& h, uint64_t budget)
{
    static const void* const kLabels[] = {
#define X(name, mnem, flags) &&op_##name,
#include "cpu/ops.def"
#undef X
        &&block_fallthrough,
    };
    BlockCache& cache = *h.blocks;
    if (cache.labels != kLabels) {
        cache.flush();
        cache.labels = kLabels;
    }

    // h.instret lives in `instret` while blocks chain; it is written back wherever someone may read
    // it: at `lookup` (and so before every return), before SYSTEM operations and traps, and before
    // the trace hook.
    uint64_t instret = h.instret;
    const uint64_t stop = budget > ~instret ? ~uint64_t(0) : instret + budget;
    uint64_t slow_steps = 0;         // traps and uncached instructions: count against the budget too
    Block* b = nullptr;              // the executing block
    const CachedInsn* ip = nullptr;  // the executing instruction in b
    uint64_t base = 0;               // virtual address of b's first instruction
    Block* link_from = nullptr;      // block that ended with a successor in its page but no link yet

lookup:
    h.instret = instret;
    if (h.exit_request.load(std::memory_order_relaxed)) [[unlikely]] {
        // Acquire: whatever the kicker published before kick() (mip bits, queued work) is visible.
        h.exit_request.exchange(false, std::memory_order_acquire);
        take_pending_interrupt(h);
        return RunExit::ExitRequest;
    }
    if (instret + slow_steps >= stop) return RunExit::BudgetDone;
    cache.collect();
    h.tlb->code_written = false;
    {
        Block* from = std::exchange(link_from, nullptr);
        switch (lookup_block(h, kLabels, b)) {
        case BlockLookup::Fault: goto trap;
        case BlockLookup::Uncached: {
            slow_steps += 1;
            const bool wait = step_uncached(h);
            instret = h.instret;
            if (wait) return RunExit::Wfi;
            goto lookup;
        }
        case BlockLookup::Found: break;
        }
        if (from) from->link(h.pc, b);
    }

enter:
    base = h.pc;
    ip = b->insns.data();
    goto *ip->handler;

    // One handler per operation. Trapping instructions never retire: the trap paths below account
    // for the instructions before them.
#define X(name, mnem, flags)                                                  \
    op_##name:                                                                \
    if constexpr (Trace || reads_pc(Op::name)) {                              \
        h.pc = base + ip->offset;                                             \
        h.next_pc = h.pc + ip->d.len;                                         \
    }                                                                         \
    if constexpr (Trace) {                                                    \
        h.instret = instret + uint64_t(ip - b->insns.data());                 \
        h.on_insn_exec(h, ip->d);                                             \
    }                                                                         \
    if constexpr (is_system(Op::name)) {                                      \
        h.instret = instret + uint64_t(ip - b->insns.data());                 \
        if (!exec_##name(h, ip->d)) goto system_trap;                         \
        goto system_done;                                                     \
    } else {                                                                  \
        if (!exec_##name(h, ip->d)) [[unlikely]] goto insn_trap;              \
        if constexpr (is_mem(Op::name))                                       \
            if (h.tlb->code_written) [[unlikely]] goto code_written;          \
        if constexpr (is_branch(Op::name)) goto block_done;                   \
        ++ip;                                                                 \
        goto *ip->handler;                                                    \
    }
#include "cpu/ops.def"
#undef X

block_fallthrough:  // the sentinel after a block that did not end with a branch
    h.next_pc = base + b->bytes;
block_done:
    instret += b->n;
    h.pc = h.next_pc;
    if (instret >= stop || h.exit_request.load(std::memory_order_relaxed)) [[unlikely]]
        goto lookup;
    if (Block* next = b->linked(h.pc)) {
        b = next;
        goto enter;
    }
    if (((h.pc ^ base) & kPageMask) == 0) link_from = b;
    goto lookup;

code_written:  // a store changed code this hart had cached (cpu/code_map.h): end the block after it
    instret += uint64_t(ip - b->insns.data()) + 1;
    h.pc = base + ip->offset + ip->d.len;
    goto lookup;

system_done:  // the SYSTEM operation ending the block retired
    instret = h.instret + 1;
    h.instret = instret;
    h.pc = h.next_pc;
    if (after_system(h)) return RunExit::Wfi;
    goto lookup;

insn_trap:  // an instruction other than a SYSTEM one raised
    h.instret = instret + uint64_t(ip - b->insns.data());
    h.pc = base + ip->offset;
system_trap:  // h.instret counts the instructions before the trapping one
    instret = h.instret;
trap:
    slow_steps += 1;
    take_exception(h);
    goto lookup;
}

#pragma GCC diagnostic pop

}  // namespace

// cpu/step.h: also the JIT's path for code it cannot translate.
bool step_uncached(Hart& h)
{
    uint32_t bits;
    if (!fetch_uncached(h, h.pc, bits)) {
        take_exception(h);
        return false;
    }
    const DecodedInsn d = decode(bits);
    if (h.on_block_decoded) h.on_block_decoded(h, h.pc, &d, 1);
    if (h.on_insn_exec) h.on_insn_exec(h, d);
    h.next_pc = h.pc + d.len;
    if (!execute(h, d)) {
        take_exception(h);
        return false;
    }
    h.instret += 1;
    h.pc = h.next_pc;
    return is_system(d.op) && after_system(h);
}

RunExit Hart::run(uint64_t budget)
{
    process_queued_work();  // before the read section: cross-vCPU work may wait for a grace period
    RcuReadGuard rcu;
    wfi = false;
    take_pending_interrupt(*this);
    if (jit && !on_insn_exec) return tcg::run_jit(*this, budget);
    return on_insn_exec ? run_blocks<true>(*this, budget) : run_blocks<false>(*this, budget);
}

}  // namespace locklab::rv
