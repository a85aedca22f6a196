#include "cpu/tcg/backend_x64.h"

#include <array>
#include <cstddef>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <utility>
#include <vector>

#include <xbyak/xbyak.h>

#include "cpu/memory_access.h"
#include "cpu/semantics.h"

namespace locklab::rv::tcg {

namespace {

using namespace Xbyak;
using namespace Xbyak::util;

static_assert(offsetof(TlbTable, entry) == 0 && sizeof(TlbEntry) == 32 && offsetof(TlbEntry, tag) == 0);
static_assert(kTlbEntries == 256, "the inline TLB index is one byte");
constexpr int kTlbShift = 5;  // log2(sizeof(TlbEntry))

// ---- helpers called from generated code ----
using ExecFn = bool (*)(Hart&, const DecodedInsn&);
constexpr ExecFn kExec[] = {
#define X(name, mnem, flags) &exec_##name,
#include "cpu/ops.def"
#undef X
};

struct LoadResult {
    uint64_t value;
    uint64_t ok;
};
LoadResult helper_load(Hart* h, uint64_t va, uint64_t size)
{
    uint64_t v = 0;
    const bool ok = load_slow(*h, va, unsigned(size), v);
    return {v, ok};
}
// 0: the store faulted; 1: done; 2: done, and it changed code this hart had cached (cpu/code_map.h):
// leave the block after the store, which may have rewritten the rest of it (precise SMC).
enum StoreResult : uint8_t { kStoreFault = 0, kStoreDone = 1, kStoreChangedCode = 2 };
uint64_t helper_store(Hart* h, uint64_t va, uint64_t size, uint64_t value)
{
    if (!store_slow(*h, va, unsigned(size), value)) return kStoreFault;
    return std::exchange(h->tlb->code_written, false) ? kStoreChangedCode : kStoreDone;
}

// Guest registers that live in host registers across blocks (PinnedRegs: a fixed mapping for all
// blocks, as in rv8 and the fastest RISC-V JITs, chosen by the engine from a profile). Loaded by the
// trampoline, stored by its epilogue, and around every helper that reads or writes h.x; blocks never
// write them back. The caller-saved ones are also kept across the slow-path and next() calls.
struct Pinned {
    Temp guest;
    int host;
};
constexpr std::array<int, PinnedRegs::kCount> kPinnedHost = {Operand::R13, Operand::R14, Operand::R15,
                                                             Operand::R9,  Operand::R10, Operand::R11};
constexpr bool is_caller_saved(int host) { return host < Operand::R12; }
// The (guest, host) pairs of `p`, checked: distinct guest registers, none of them x0.
std::array<Pinned, PinnedRegs::kCount> pinned_list(const PinnedRegs& p)
{
    std::array<Pinned, PinnedRegs::kCount> out{};
    std::array<bool, kGuestRegs> seen{};
    for (size_t k = 0; k < PinnedRegs::kCount; ++k) {
        const uint8_t g = p.guest[k];
        if (g == 0 || g >= kGuestRegs || seen[g]) throw std::logic_error("jit: bad pinned register set");
        seen[g] = true;
        out[k] = {Temp(g), kPinnedHost[k]};
    }
    return out;
}
// The allocator's pool for everything else (caller-saved: saved around slow-path calls). Three
// are enough: no IR operation needs more than three registers at once (the frontend keeps at most
// two locals live across an operation).
constexpr std::array<int, 3> kPool = {Operand::RSI, Operand::RDI, Operand::R8};

// The trampoline's frame, at rsp in block code: `base` (h.instret = base + rbx).
constexpr int kFrameBase = 0;
constexpr int kFrameBytes = 8;  // with six pushes and the return address: rsp stays 16-aligned

// Byte offsets of the TranslationBlock fields the inline indirect-jump lookup reads (not a
// standard-layout type: measured on an instance).
struct TbLayout {
    int32_t pc, pa, phys_data, code;
};
const TbLayout kTbLayout = [] {
    TranslationBlock tb;
    auto off = [&](const void* f) { return int32_t(static_cast<const char*>(f) - reinterpret_cast<const char*>(&tb)); };
    return TbLayout{off(&tb.pc), off(&tb.pa), off(&tb.phys_data), off(&tb.code)};
}();

constexpr bool fits32(uint64_t v) { return fits_simm32(v); }

class Compiler : public CodeGenerator {
public:
    Compiler(const IrBlock& b, TranslationBlock& tb, CodeBuffer& buf, const HartLayout& l, const Trampoline& t)
        : CodeGenerator(buf.room(), buf.cursor()), b_(b), tb_(tb), l_(l), t_(t), home_(b.next_temp, -1),
          last_use_(b.next_temp, 0), fixed_(pinned_list(t.pinned))
    {
        fixed_host_.fill(-1);
        for (const Pinned& p : fixed_) {
            fixed_host_[p.guest] = int8_t(p.host);
            home_[p.guest] = int8_t(p.host);
        }
        for (uint32_t k = 0; k < b.ops.size(); ++k) {
            const IrInsn& i = b.ops[k];
            if (i.a.is_temp()) last_use_[i.a.temp] = k;
            if (i.b.is_temp()) last_use_[i.b.temp] = k;
            if (i.c.is_temp()) last_use_[i.c.temp] = k;
            if (i.d.is_temp()) last_use_[i.d.temp] = k;
            if (i.dst != kNoTemp && !is_global(i.dst)) last_use_[i.dst] = std::max(last_use_[i.dst], k);
        }
    }

    void run()
    {
        entry_check();
        for (uint32_t k = 0; k < b_.ops.size(); ++k) {
            now_ = k;
            op(b_.ops[k]);
            pinned_.fill(false);
            release_dead_locals(k);
        }
        for (size_t k = 0; k < stubs_.size(); ++k) stubs_[k]();  // a stub may add stubs
        for (uint32_t index = 0; index < fault_targets_.size(); ++index)
            if (fault_targets_[index] != kNoTarget) fault_exit(index, fault_targets_[index]);
        for (uint32_t index = 0; index < smc_targets_.size(); ++index)
            if (smc_targets_[index] != kNoTarget) smc_exit(index, smc_targets_[index]);
        resolve_targets();
    }

private:
    // ---------------- jump targets ----------------
    // Places in the block's code that jumps go to (slow paths after the block, joins inside it)
    // are our own, not Xbyak Labels: an index whose code offset is bound once, and rel32 jumps to
    // it patched when the whole block is emitted. Xbyak's labels keep hash maps of definitions and
    // pending jumps (allocations for each), a quarter of translation time in a Linux boot.
    using Target = uint32_t;
    static constexpr Target kNoTarget = ~Target(0);
    enum Jcc : uint8_t { kJb = 0x2, kJae = 0x3, kJe = 0x4, kJne = 0x5, kJa = 0x7, kJns = 0x9, kJl = 0xc, kJge = 0xd, kJmp };
    Target new_target()
    {
        target_at_.push_back(-1);
        return Target(target_at_.size() - 1);
    }
    void bind(Target t) { target_at_[t] = int32_t(getSize()); }
    // A jump (jcc rel32, or jmp rel32 for kJmp) to t, bound now or later.
    void jump(Jcc cc, Target t)
    {
        if (cc == kJmp) {
            db(0xE9);
        } else {
            db(0x0F);
            db(0x80 | cc);
        }
        dd(0);
        fixups_.push_back({uint32_t(getSize() - 4), t});
    }
    void resolve_targets()
    {
        uint8_t* code = const_cast<uint8_t*>(getCode());
        for (const auto& [site, t] : fixups_) {
            if (target_at_[t] < 0) throw std::logic_error("jit: jump to a target never bound");
            const int32_t rel = target_at_[t] - int32_t(site + 4);
            std::memcpy(code + site, &rel, 4);
        }
    }

    // ---------------- register allocation ----------------
    struct HostReg {
        Temp holder = kNoTemp;
        bool dirty = false;  // a guest register whose value here is newer than h.x
        uint32_t stamp = 0;
    };

    Address guest_slot(Temp t) { return qword[rbp + l_.x + 8 * int(t)]; }

    void assign(int idx, Temp t)
    {
        regs_[idx] = {t, false, ++clock_};
        home_[t] = int8_t(idx);
    }
    void release(int idx)
    {
        if (regs_[idx].holder != kNoTemp) home_[regs_[idx].holder] = -1;
        regs_[idx] = {};
    }
    int alloc()
    {
        for (int idx : kPool)
            if (regs_[idx].holder == kNoTemp) return idx;
        int victim = -1;
        for (int idx : kPool)
            if (is_global(regs_[idx].holder) && !pinned_[idx] &&
                (victim < 0 || regs_[idx].stamp < regs_[victim].stamp))
                victim = idx;
        if (victim < 0) throw std::logic_error("jit: out of host registers");
        if (regs_[victim].dirty) mov(guest_slot(regs_[victim].holder), Reg64(victim));
        release(victim);
        return victim;
    }
    // The host register holding t (loaded from h.x for a guest register not cached yet), pinned.
    Reg64 get(Temp t)
    {
        int idx = home_[t];
        if (idx < 0) {
            if (!is_global(t)) throw std::logic_error("jit: local temp read before it was written");
            idx = alloc();
            assign(idx, t);
            mov(Reg64(idx), guest_slot(t));
        }
        regs_[idx].stamp = ++clock_;
        pinned_[idx] = true;
        return Reg64(idx);
    }
    // The host register t is about to be written in (a guest register becomes dirty).
    Reg64 def(Temp t)
    {
        int idx = home_[t];
        if (idx < 0) {
            idx = alloc();
            assign(idx, t);
        }
        regs_[idx].stamp = ++clock_;
        if (is_global(t) && !is_pinned(t)) regs_[idx].dirty = true;
        pinned_[idx] = true;
        return Reg64(idx);
    }
    // def(i.dst) for an operation whose first operand `a` is in `ra`: when `a` is a local that dies
    // here and dst has no register yet, dst takes over a's register (the two-address x86 form then
    // needs no copy of a first).
    Reg64 def_over(const IrInsn& i, const Reg64& ra)
    {
        const Temp a = i.a.is_temp() ? i.a.temp : kNoTemp;
        if (a != kNoTemp && !is_global(a) && last_use_[a] == now_ && home_[a] == ra.getIdx() && home_[i.dst] < 0 &&
            !is_pinned(i.dst)) {
            const int idx = ra.getIdx();
            release(idx);
            assign(idx, i.dst);
            if (is_global(i.dst)) regs_[idx].dirty = true;
            pinned_[idx] = true;
            return ra;
        }
        return def(i.dst);
    }
    bool is_pinned(Temp t) const { return is_global(t) && fixed_host_[t] >= 0; }
    // h.x gets (or gives) the pinned registers' values, around helpers that read or write h.x.
    void store_pinned(bool caller_saved_only = false)
    {
        for (const Pinned& p : fixed_)
            if (!caller_saved_only || is_caller_saved(p.host)) mov(guest_slot(p.guest), Reg64(p.host));
    }
    // After a call: the caller-saved pinned registers back from h.x, and `also` (a guest register
    // the call wrote) if it is pinned. Moves only: the flags of the call's result test survive.
    void load_pinned_after_call(Temp also = kNoTemp)
    {
        for (const Pinned& p : fixed_)
            if (is_caller_saved(p.host) || p.guest == also) mov(Reg64(p.host), guest_slot(p.guest));
    }
    // h.instret made current for guest instruction `index` of the block (the ones before it retired).
    void store_instret(uint32_t index)
    {
        lea(rax, ptr[rbx + int(index)]);
        add(rax, qword[rsp + kFrameBase]);
        mov(qword[rbp + l_.instret], rax);
    }
    // An argument in a register: its temp's, or the immediate moved into `scratch`.
    Reg64 in_reg(const Arg& a, const Reg64& scratch)
    {
        if (a.is_temp()) return get(a.temp);
        mov(scratch, a.imm);
        return scratch;
    }
    void release_dead_locals(uint32_t k)
    {
        for (int idx : kPool) {
            const Temp t = regs_[idx].holder;
            if (t != kNoTemp && !is_global(t) && last_use_[t] <= k) release(idx);
        }
    }

    struct Writeback {
        Temp t;
        int idx;
    };
    // At most one entry per pool register (dirty values), per pool and caller-saved pinned register
    // (registers a slow path saves): fixed capacity, so a block's many slow paths copy them
    // without allocating.
    template <class T>
    struct RegList {
        std::array<T, kPool.size() + PinnedRegs::kCount> items{};
        uint8_t n = 0;
        void push_back(const T& v) { items[n++] = v; }
        size_t size() const { return n; }
        const T* begin() const { return items.data(); }
        const T* end() const { return items.data() + n; }
    };
    using Writebacks = RegList<Writeback>;
    using SavedRegs = RegList<int>;
    Writebacks dirty_now() const
    {
        Writebacks out;
        for (int idx : kPool)
            if (regs_[idx].dirty) out.push_back({regs_[idx].holder, idx});
        return out;
    }
    SavedRegs occupied_caller_saved() const
    {
        SavedRegs out;
        for (int idx : kPool)
            if (regs_[idx].holder != kNoTemp) out.push_back(idx);
        for (const Pinned& p : fixed_)
            if (is_caller_saved(p.host)) out.push_back(p.host);
        return out;
    }
    void emit_writeback(const Writebacks& w)
    {
        for (const auto& [t, idx] : w) mov(guest_slot(t), Reg64(idx));
    }
    // h.x is made current; the cached values stay valid (and clean).
    void sync_all()
    {
        emit_writeback(dirty_now());
        for (int idx : kPool) regs_[idx].dirty = false;
    }
    // Before a helper call: h.x current, and nothing the call may clobber is still needed.
    void before_call()
    {
        sync_all();
        for (int idx : kPool) {
            const Temp t = regs_[idx].holder;
            if (t == kNoTemp) continue;
            if (!is_global(t) && last_use_[t] > now_) throw std::logic_error("jit: local temp live across a helper call");
            release(idx);
        }
    }
    void call_fn(const void* fn)
    {
        mov(rax, reinterpret_cast<uintptr_t>(fn));
        call(rax);
    }

    // ---------------- exits ----------------
    void set_pc(uint64_t pc)
    {
        mov(rax, pc);
        mov(qword[rbp + l_.pc], rax);
    }
    void add_instret(uint64_t n)
    {
        if (n) add(rbx, int(n));
    }
    // The first n guest instructions of the block retired: count them; once the budget is used up
    // (rbx no longer negative) continue at `leave` instead.
    void retire(uint64_t n, Target leave)
    {
        add_instret(n);
        jump(kJns, leave);
    }
    // A stub leaving for the run loop at guest pc `pc` (budget used up, exit request).
    Target leave_at(uint64_t pc)
    {
        const Target l = new_target();
        stubs_.push_back([this, l, pc] {
            bind(l);
            set_pc(pc);
            to_epilogue(kExitLookup);
        });
        return l;
    }
    void to_epilogue(uint64_t code)
    {
        mov(rax, code);
        jmp(reinterpret_cast<const void*>(t_.epilogue), T_NEAR);
    }
    Target fault_target(uint32_t index)
    {
        if (fault_targets_.size() <= index) fault_targets_.resize(index + 1, kNoTarget);
        if (fault_targets_[index] == kNoTarget) fault_targets_[index] = new_target();
        return fault_targets_[index];
    }
    // A trap raised by guest instruction `index`: everything before it retired (dirty registers were
    // written back before the access or helper call that raised).
    void fault_exit(uint32_t index, Target l)
    {
        bind(l);
        set_pc(b_.guest[index].pc);
        add_instret(index);
        to_epilogue(kExitTrap);
    }
    // A store by guest instruction `index` changed code this hart had cached: it retired; leave for
    // the lookup of the next instruction.
    void smc_exit(uint32_t index, Target l)
    {
        bind(l);
        const GuestInsn& g = b_.guest[index];
        set_pc(g.pc + g.d.len);
        add_instret(index + 1);
        to_epilogue(kExitLookup);
    }
    Target smc_target(uint32_t index)
    {
        if (smc_targets_.size() <= index) smc_targets_.resize(index + 1, kNoTarget);
        if (smc_targets_[index] == kNoTarget) smc_targets_[index] = new_target();
        return smc_targets_[index];
    }
    // An exit request (kick) leaves at a block entry; the budget is checked where blocks retire.
    void entry_check()
    {
        cmp(byte[rbp + l_.exit_request], 0);
        jump(kJne, leave_at(b_.pc));
    }
    // A direct exit: a patchable jmp (initially to the next instruction), then the lookup helper,
    // which may chain this slot, and the way back to the run loop if it finds nothing.
    void direct_exit(uint64_t target)
    {
        const unsigned slot = new_exit();
        db(0xE9);
        dd(0);
        tb_.jmp_site[slot] = uint32_t(getSize() - 4);
        tb_.jmp_reset[slot] = uint32_t(getSize());
        lookup_exit(slot, target);
    }
    // The unchained side of direct exit `slot`: h.pc = target, then the lookup (which may chain it).
    void lookup_exit(unsigned slot, uint64_t target)
    {
        tb_.jmp_target[slot] = target;
        set_pc(target);
        continue_at_next(reinterpret_cast<uintptr_t>(&tb_) | slot);
    }
    // An indirect jump's target (rcx, = h.pc) looked up without a call: the checks of NextFn for
    // from = 0 (the target block's entry checks exit requests), falling through to the call when
    // any fails. Only at a block's end: the pool registers are scratch here (written back already).
    void inline_lookup()
    {
        const IndirectLookup& lk = t_.lookup;
        if (!lk.flush_pending) return;
        const Target miss = new_target();
        mov(rax, reinterpret_cast<uintptr_t>(lk.flush_pending));
        cmp(byte[rax], 0);
        jump(kJne, miss);
        mov(rax, reinterpret_cast<uintptr_t>(lk.fetch_table));
        mov(rax, qword[rax]);  // the current fetch context's TlbTable
        mov(edx, ecx);
        shr(edx, kPageBits);
        and_(edx, int32_t(kTlbEntries - 1));
        mov(esi, edx);
        shl(esi, kTlbShift);
        mov(rdi, qword[rax + rsi + 8 * int(AccessType::Fetch)]);  // the fetch tag
        test(edi, int32_t(kTlbEmpty | kTlbMmio));
        jump(kJne, miss);
        xor_(rdi, rcx);
        test(rdi, int32_t(uint32_t(kPageMask)));  // sign-extended: every bit above the offset
        jump(kJne, miss);
        mov(rdi, qword[rax + rdx * 8 + int32_t(offsetof(TlbTable, pa_addend))]);
        add(rdi, rcx);  // the target's physical address
        mov(esi, ecx);  // TbCache::slot(pc)
        shr(esi, TbCache::kJumpCacheShift);
        and_(esi, int32_t(TbCache::kJumpCache - 1));
        static_assert(TbCache::kJumpCache - 1 <= 0x7fffffff);
        mov(rax, reinterpret_cast<uintptr_t>(lk.jump_cache));
        mov(rax, qword[rax + rsi * 8]);
        test(rax, rax);
        jump(kJe, miss);
        cmp(rcx, qword[rax + kTbLayout.pc]);
        jump(kJne, miss);
        cmp(rdi, qword[rax + kTbLayout.pa]);
        jump(kJne, miss);
        // The data context cannot have changed since this block was entered (Engine::phys_data).
        cmp(byte[rax + kTbLayout.phys_data], int(tb_.phys_data));
        jump(kJne, miss);
        jmp(qword[rax + kTbLayout.code]);
        bind(miss);
    }
    // With h.pc current: jump to the block the helper finds, or leave (the trampoline's to_next).
    void continue_at_next(uint64_t from)
    {
        if (from) mov(rsi, from);
        else xor_(esi, esi);
        jmp(reinterpret_cast<const void*>(t_.to_next), T_NEAR);
    }
    // Guest instructions retired on the way out through terminator or side exit `i`: it and the
    // ones before it (a superblock's not-taken side exits included; anything after a side exit
    // folded into a jump is unreachable).
    static uint64_t retired(const IrInsn& i) { return uint64_t(i.guest_index) + 1; }
    unsigned new_exit()
    {
        if (tb_.exits == kMaxExits) throw std::logic_error("jit: too many direct exits in one block");
        return tb_.exits++;
    }

    // ---------------- operations ----------------
    void op(const IrInsn& i)
    {
        switch (i.op) {
        case IrOp::Mov: {
            if (i.a.is_temp()) {
                const Reg64 ra = get(i.a.temp);
                const Reg64 rd = def(i.dst);
                if (rd.getIdx() != ra.getIdx()) mov(rd, ra);
            } else {
                mov(def(i.dst), i.a.imm);
            }
            break;
        }
        case IrOp::Add: case IrOp::Sub: case IrOp::And: case IrOp::Or: case IrOp::Xor: case IrOp::Mul:
            binop(i);
            break;
        case IrOp::Shl: case IrOp::Shr: case IrOp::Sar: shift(i); break;
        case IrOp::AddShl: {  // y + (x << s): one lea (fuse_shift_add: y is a temp or a disp32)
            const Reg64 rx = get(i.b.temp);
            const RegExp scaled = rx * (1 << i.shift);
            if (i.a.is_temp()) {
                const Reg64 ry = get(i.a.temp);
                lea(def(i.dst), ptr[ry + scaled]);
            } else {
                lea(def(i.dst), ptr[scaled + int32_t(uint32_t(i.a.imm))]);
            }
            break;
        }
        case IrOp::Div: case IrOp::DivU: case IrOp::Rem: case IrOp::RemU: divide(i); break;
        case IrOp::Ext32s: case IrOp::Ext32u: {
            const Reg64 ra = in_reg(i.a, rax);
            const Reg64 rd = def(i.dst);
            if (i.op == IrOp::Ext32s) movsxd(rd, ra.cvt32());
            else mov(rd.cvt32(), ra.cvt32());
            break;
        }
        case IrOp::SetCond: {
            const Reg64 ra = in_reg(i.a, rax);
            const Reg64 rb = i.b.is_temp() ? get(i.b.temp) : rdx;
            const Reg64 rd = def(i.dst);
            compare(ra, i.b, rb);
            setcc(i.cond);
            movzx(rd.cvt32(), al);
            break;
        }
        case IrOp::Select: select(i); break;
        case IrOp::Load: load(i); break;
        case IrOp::Store: store(i); break;
        case IrOp::Call: helper_call(i); break;
        case IrOp::GotoTb:
            sync_all();
            retire(retired(i), leave_at(i.target));
            direct_exit(i.target);
            break;
        case IrOp::ExitIf: side_exit(i); break;
        case IrOp::Branch: {
            const Reg64 ra = in_reg(i.a, rax);
            const Reg64 rb = i.b.is_temp() ? get(i.b.temp) : rdx;
            sync_all();
            // Budget used up: the stub decides the direction itself and leaves there.
            const Target budget = new_target();
            const Target budget_taken = leave_at(i.target);
            stubs_.push_back([this, budget, budget_taken, ra, rb, b = i.b, cond = i.cond, fall_pc = i.fallthrough] {
                bind(budget);
                compare(ra, b, rb);
                jcc(cond, budget_taken);
                set_pc(fall_pc);
                to_epilogue(kExitLookup);
            });
            retire(retired(i), budget);
            compare(ra, i.b, rb);
            // The taken side is a patchable jcc: chained, it goes straight to the target's code.
            const Target taken = new_target();
            jcc(i.cond, taken);
            const unsigned taken_slot = new_exit();
            tb_.jmp_site[taken_slot] = uint32_t(getSize() - 4);
            direct_exit(i.fallthrough);
            bind(taken);
            tb_.jmp_reset[taken_slot] = uint32_t(getSize());
            lookup_exit(taken_slot, i.target);
            break;
        }
        case IrOp::JumpIndirect: {
            const Reg64 ra = in_reg(i.a, rax);
            mov(qword[rbp + l_.pc], ra);
            mov(rcx, ra);
            sync_all();
            const Target budget = new_target();
            stubs_.push_back([this, budget] {
                bind(budget);
                to_epilogue(kExitLookup);
            });
            retire(retired(i), budget);
            inline_lookup();
            continue_at_next(0);
            break;
        }
        case IrOp::System: {
            const GuestInsn& g = tb_.guest[i.guest_index];
            sync_all();
            set_pc(g.pc);
            mov(rax, g.pc + g.d.len);
            mov(qword[rbp + l_.next_pc], rax);
            store_instret(i.guest_index);
            store_pinned();
            mov(rdi, rbp);
            mov(rsi, reinterpret_cast<uintptr_t>(&g.d));
            call_fn(reinterpret_cast<const void*>(kExec[size_t(g.d.op)]));
            // The operation may have written h.instret (minstret) or any register: take them back;
            // the epilogue stores them again.
            mov(rbx, qword[rbp + l_.instret]);
            sub(rbx, qword[rsp + kFrameBase]);
            for (const Pinned& p : fixed_) mov(Reg64(p.host), guest_slot(p.guest));
            movzx(eax, al);
            add(eax, int(kExitTrap));  // false -> kExitTrap, true -> kExitSystem
            jmp(reinterpret_cast<const void*>(t_.epilogue), T_NEAR);
            break;
        }
        }
    }

    // cmp ra, b (b an immediate or rb, which holds its temp); rdx is free for a wide immediate.
    void compare(const Reg64& ra, const Arg& b, const Reg64& rb)
    {
        if (b.is_temp()) {
            cmp(ra, rb);
        } else if (fits32(b.imm)) {
            cmp(ra, int32_t(uint32_t(b.imm)));
        } else {
            mov(rdx, b.imm);
            cmp(ra, rdx);
        }
    }
    void setcc(Cond c)
    {
        switch (c) {
        case Cond::EQ: sete(al); break;
        case Cond::NE: setne(al); break;
        case Cond::LT: setl(al); break;
        case Cond::GE: setge(al); break;
        case Cond::LTU: setb(al); break;
        case Cond::GEU: setae(al); break;
        }
    }
    void jcc(Cond c, Target l)
    {
        static constexpr Jcc kCc[] = {kJe, kJne, kJl, kJge, kJb, kJae};  // by Cond
        jump(kCc[size_t(c)], l);
    }
    void alu(IrOp o, const Reg64& d, const Operand& s)
    {
        switch (o) {
        case IrOp::Add: add(d, s); break;
        case IrOp::Sub: sub(d, s); break;
        case IrOp::And: and_(d, s); break;
        case IrOp::Or: or_(d, s); break;
        case IrOp::Xor: xor_(d, s); break;
        case IrOp::Mul: imul(d, s); break;
        default: throw std::logic_error("jit: not an ALU operation");
        }
    }
    void alu_imm(IrOp o, const Reg64& d, const Reg64& a, int32_t v)
    {
        if (o == IrOp::Mul) {
            imul(d, a, v);
            return;
        }
        if (o == IrOp::Add && d.getIdx() != a.getIdx()) {  // three-address: no copy first
            lea(d, ptr[a + v]);
            return;
        }
        if (d.getIdx() != a.getIdx()) mov(d, a);
        switch (o) {
        case IrOp::Add: add(d, v); break;
        case IrOp::Sub: sub(d, v); break;
        case IrOp::And: and_(d, v); break;
        case IrOp::Or: or_(d, v); break;
        case IrOp::Xor: xor_(d, v); break;
        default: throw std::logic_error("jit: not an ALU operation");
        }
    }
    void binop(const IrInsn& i)
    {
        const Reg64 ra = in_reg(i.a, rax);
        if (i.b.is_imm && fits32(i.b.imm)) {
            alu_imm(i.op, def_over(i, ra), ra, int32_t(uint32_t(i.b.imm)));
            return;
        }
        const Reg64 rb = in_reg(i.b, rdx);
        const Reg64 rd = def_over(i, ra);
        if (rd.getIdx() == rb.getIdx() && rd.getIdx() != ra.getIdx()) {  // d = a - d: via rax
            if (ra.getIdx() != rax.getIdx()) mov(rax, ra);
            alu(i.op, rax, rb);
            mov(rd, rax);
            return;
        }
        if (rd.getIdx() != ra.getIdx()) mov(rd, ra);
        alu(i.op, rd, rb);
    }
    void shift(const IrInsn& i)
    {
        const Reg64 ra = in_reg(i.a, rax);
        if (i.b.is_temp()) mov(rcx, get(i.b.temp));
        const Reg64 rd = def_over(i, ra);
        if (rd.getIdx() != ra.getIdx()) mov(rd, ra);
        if (i.b.is_imm) {
            const int n = int(i.b.imm & 63);
            if (i.op == IrOp::Shl) shl(rd, n);
            else if (i.op == IrOp::Shr) shr(rd, n);
            else sar(rd, n);
        } else {
            if (i.op == IrOp::Shl) shl(rd, cl);
            else if (i.op == IrOp::Shr) shr(rd, cl);
            else sar(rd, cl);
        }
    }

    // dst = cond(a, b) ? c : d in rcx with a cmov (no host branch), and rbx (instructions retired)
    // lowered by `unretire` when cond holds, also with a cmov. Registers: a and b and a local d may
    // occupy the three pool registers; c is read from its register or its h.x slot (cmov takes a
    // memory operand), so nothing else is allocated until they are released.
    void select(const IrInsn& i)
    {
        const Reg64 ra = in_reg(i.a, rax);
        const Reg64 rb = i.b.is_temp() ? get(i.b.temp) : rdx;
        if (i.d.is_temp()) mov(rcx, get(i.d.temp));
        else mov(rcx, i.d.imm);
        compare(ra, i.b, rb);  // after the movs: rdx may be its wide immediate
        const Cond c = i.cond;
        if (i.c.is_temp()) {
            const Temp t = i.c.temp;
            if (home_[t] >= 0) cmovcc(c, rcx, Reg64(home_[t]));
            else cmovcc(c, rcx, guest_slot(t));  // not cached: h.x holds its value
        } else {
            mov(rax, i.c.imm);  // mov keeps the flags
            cmovcc(c, rcx, rax);
        }
        if (i.unretire) {
            lea(rax, ptr[rbx - int(i.unretire)]);
            cmovcc(c, rbx, rax);
        }
        // The operands are done with: a dying local's register may take dst.
        pinned_.fill(false);
        release_dead_locals(now_);
        if (is_global(i.dst) && !is_pinned(i.dst) && home_[i.dst] < 0) {
            mov(guest_slot(i.dst), rcx);  // not cached: write it through (clean)
        } else {
            mov(def(i.dst), rcx);
        }
    }
    void cmovcc(Cond c, const Reg64& d, const Operand& s)
    {
        switch (c) {
        case Cond::EQ: cmove(d, s); break;
        case Cond::NE: cmovne(d, s); break;
        case Cond::LT: cmovl(d, s); break;
        case Cond::GE: cmovge(d, s); break;
        case Cond::LTU: cmovb(d, s); break;
        case Cond::GEU: cmovae(d, s); break;
        }
    }

    // x86's div/idiv in rdx:rax, with the M extension's cases out of line: a zero divisor (quotient
    // all ones, remainder the dividend) and, signed, a divisor of -1 (quotient -a, which wraps for
    // the most negative a where idiv would trap; remainder 0).
    void divide(const IrInsn& i)
    {
        const bool is_signed = i.op == IrOp::Div || i.op == IrOp::Rem;
        const bool remainder = i.op == IrOp::Rem || i.op == IrOp::RemU;
        const Reg64 ra = in_reg(i.a, rax);
        if (i.b.is_temp()) mov(rcx, get(i.b.temp));
        else mov(rcx, i.b.imm);
        const Reg64 rd = def(i.dst);
        if (ra.getIdx() != rax.getIdx()) mov(rax, ra);
        const Target special = new_target();
        const Target done = new_target();
        test(rcx, rcx);
        jump(kJe, special);
        if (is_signed) {
            cmp(rcx, -1);
            jump(kJe, special);
            cqo();
            idiv(rcx);
        } else {
            xor_(edx, edx);
            div(rcx);
        }
        mov(rd, remainder ? rdx : rax);
        bind(done);
        stubs_.push_back([this, rd, is_signed, remainder, special, done] {
            bind(special);
            const Target minus_one = new_target();
            if (is_signed) {
                test(rcx, rcx);
                jump(kJne, minus_one);
            }
            if (remainder) mov(rd, rax);
            else mov(rd, -1);
            jump(kJmp, done);
            if (!is_signed) return;
            bind(minus_one);
            if (remainder) {
                xor_(rd.cvt32(), rd.cvt32());
            } else {
                mov(rd, rax);
                neg(rd);
            }
            jump(kJmp, done);
        });
    }
    // A superblock's conditional branch. Taken: the dirty registers go back to h.x, the
    // instructions up to it retire and the block leaves through a direct exit (the budget checked
    // first, as at every exit). Not taken: the block goes on with its registers as they are.
    void side_exit(const IrInsn& i)
    {
        const Reg64 ra = in_reg(i.a, rax);
        const Reg64 rb = i.b.is_temp() ? get(i.b.temp) : rdx;
        compare(ra, i.b, rb);
        const Target exit = new_target();
        jcc(i.cond, exit);
        const Target budget = leave_at(i.target);
        stubs_.push_back([this, exit, budget, dirty = dirty_now(), n = retired(i), target = i.target] {
            bind(exit);
            emit_writeback(dirty);
            retire(n, budget);
            direct_exit(target);
        });
    }

    // Where an access's virtual address comes from: a host register plus a displacement, or (base
    // -1) an immediate address.
    struct GuestAddr {
        int base = -1;
        uint64_t disp = 0;
    };
    // The TLB fast path: rax = the entry's offset in the current data TlbTable; jumps to `miss`
    // unless the entry's tag for `type` hits (RAM, aligned, permitted); then rcx = the entry's host
    // addend and the access goes to `where` (base register + rcx + displacement: the address is not
    // computed into a register first). Slow paths get the virtual address back with
    // address_into_rdx(). (Until session 7 a load compared the entry's addend with that of the
    // block's own code page, an immediate, and used the immediate, so the load did not wait for the
    // entry: right for every page with the MMU off, which the RAM window now serves, and wrong for
    // nearly every data page under Sv39, where it cost two taken jumps per load.)
    GuestAddr tlb_lookup(const IrInsn& i, AccessType type, Target miss, RegExp& where)
    {
        GuestAddr ga;
        if (i.a.is_temp()) {
            const Reg64 base = get(i.a.temp);
            const int32_t disp = int32_t(i.offset);
            ga = {base.getIdx(), uint64_t(i.offset)};
            lea(eax, ptr[base + disp]);
            lea(rcx, ptr[base + disp]);
            where = base + rcx + disp;
        } else {
            const uint64_t va = i.a.imm + uint64_t(i.offset);
            ga = {-1, va};
            mov(rdx, va);
            mov(eax, uint32_t(va));
            mov(rcx, rdx);
            where = rdx + rcx;
        }
        shr(eax, kPageBits - kTlbShift);
        and_(eax, int32_t((kTlbEntries - 1) << kTlbShift));
        and_(rcx, int32_t(kPageMask | (i.size - 1)));
        cmp(rcx, qword[r12 + rax + 8 * int(type)]);
        jump(kJne, miss);
        mov(rcx, qword[r12 + rax + offsetof(TlbEntry, host_addend)]);
        return ga;
    }
    // The RAM window's fast path (blocks with untranslated data accesses, cpu/tcg/ram_window.h):
    // jumps to `miss` unless [va, va + size) lies inside the window, then the access goes to `where`
    // (base register + rcx + displacement, rcx = the window's host addend: as on the TLB path, a
    // load waits for its base register only). False for an immediate address outside the window
    // (the caller takes the TLB path); an immediate address inside needs no check at all.
    bool window_lookup(const IrInsn& i, Target miss, RegExp& where, GuestAddr& ga)
    {
        const RamWindow& w = b_.ram;
        if (!i.a.is_temp()) {
            const uint64_t va = i.a.imm + uint64_t(i.offset);
            if (!w.contains(va, i.size)) return false;
            ga = {-1, va};
            mov(rcx, va + w.host_addend);
            where = RegExp(rcx);
            return true;
        }
        const Reg64 base = get(i.a.temp);
        const int32_t disp = int32_t(i.offset);
        ga = {base.getIdx(), uint64_t(i.offset)};
        const uint64_t from_window = uint64_t(i.offset) - w.base;  // rax = va - w.base
        if (fits32(from_window)) {
            lea(rax, ptr[base + int32_t(uint32_t(from_window))]);
        } else {
            mov(rax, from_window);
            add(rax, base);
        }
        const uint64_t last = w.size - i.size;  // the highest offset an access of this size may start at
        if (last <= 0x7fffffff) {
            cmp(rax, int32_t(last));
        } else {
            mov(rcx, last);
            cmp(rax, rcx);
        }
        jump(kJa, miss);
        mov(rcx, w.host_addend);
        where = base + rcx + disp;
        return true;
    }
    // rdx = the access's virtual address, in a slow path (its base register still holds the value
    // the fast path started from: nothing before the jump to the slow path writes it).
    void address_into_rdx(const GuestAddr& ga)
    {
        if (ga.base < 0) mov(rdx, ga.disp);
        else lea(rdx, ptr[Reg64(ga.base) + int32_t(ga.disp)]);
    }
    void extend_into(const Reg64& rd, const Address& src_b, const Address& src_w, const Address& src_d,
                     const Address& src_q, uint8_t size, bool sign)
    {
        switch (size) {
        case 1: if (sign) movsx(rd, src_b); else movzx(rd.cvt32(), src_b); break;
        case 2: if (sign) movsx(rd, src_w); else movzx(rd.cvt32(), src_w); break;
        case 4: if (sign) movsxd(rd, src_d); else mov(rd.cvt32(), src_d); break;
        default: mov(rd, src_q); break;
        }
    }
    // The slow path of a memory access, emitted after the block: h.x made current (as before this
    // instruction), live caller-saved registers preserved, the helper called, a fault leaving the
    // block precisely.
    struct SlowPath {
        Writebacks dirty;
        SavedRegs saved;
    };
    void save_regs(const SavedRegs& saved)
    {
        for (int idx : saved) push(Reg64(idx));
        if (saved.size() % 2) sub(rsp, 8);
    }
    // Pops and lea only: the flags of the helper's result test survive. Every path out of a slow
    // path (done, fault, changed code) restores first, so rsp is at the frame again.
    void restore_regs(const SavedRegs& saved)
    {
        if (saved.size() % 2) lea(rsp, ptr[rsp + 8]);
        for (size_t k = saved.size(); k-- > 0;) pop(Reg64(saved.items[k]));
    }
    // The slow path's view of the registers at the jump to it, from the dirty registers before the
    // instruction's own allocations (a register those evicted was written back on the way).
    SlowPath slow_path_state(const Writebacks& dirty_before) const
    {
        SlowPath s;
        for (const Writeback& w : dirty_before)
            if (regs_[w.idx].holder == w.t) s.dirty.push_back(w);
        s.saved = occupied_caller_saved();
        return s;
    }
    void load(const IrInsn& i)
    {
        const Writebacks before = dirty_now();
        if (i.a.is_temp()) get(i.a.temp);
        const Reg64 rd = def(i.dst);
        const SlowPath s = slow_path_state(before);
        const Target miss = new_target();
        const Target done = new_target();
        RegExp where;
        GuestAddr ga;
        if (!b_.ram.size || !window_lookup(i, miss, where, ga)) ga = tlb_lookup(i, AccessType::Load, miss, where);
        extend_into(rd, byte[where], word[where], dword[where], qword[where], i.size, i.sign);
        bind(done);
        const Target fault = fault_target(i.guest_index);
        stubs_.push_back([this, s, rd, ga, miss, done, fault, size = i.size, sign = i.sign] {
            bind(miss);
            address_into_rdx(ga);
            emit_writeback(s.dirty);
            save_regs(s.saved);
            mov(rsi, rdx);
            mov(rdi, rbp);
            mov(edx, size);
            call_fn(reinterpret_cast<const void*>(&helper_load));
            mov(rcx, rax);
            test(dl, dl);
            restore_regs(s.saved);
            jump(kJe, fault);
            switch (size) {
            case 1: if (sign) movsx(rd, cl); else movzx(rd.cvt32(), cl); break;
            case 2: if (sign) movsx(rd, cx); else movzx(rd.cvt32(), cx); break;
            case 4: if (sign) movsxd(rd, ecx); else mov(rd.cvt32(), ecx); break;
            default: mov(rd, rcx); break;
            }
            jump(kJmp, done);
        });
    }
    void store(const IrInsn& i)
    {
        const Writebacks before = dirty_now();
        if (i.a.is_temp()) get(i.a.temp);
        const bool value_in_reg = i.b.is_temp();
        const int value_idx = value_in_reg ? get(i.b.temp).getIdx() : -1;
        const SlowPath s = slow_path_state(before);
        const uint64_t value_imm = i.b.imm;
        const Target miss = new_target();
        const Target done = new_target();
        RegExp where;
        const GuestAddr ga = tlb_lookup(i, AccessType::Store, miss, where);
        if (value_in_reg) {
            const Reg64 v(value_idx);
            switch (i.size) {
            case 1: mov(byte[where], v.cvt8()); break;
            case 2: mov(word[where], v.cvt16()); break;
            case 4: mov(dword[where], v.cvt32()); break;
            default: mov(qword[where], v); break;
            }
        } else if (i.size == 8 && !fits32(value_imm)) {
            mov(rax, value_imm);
            mov(qword[where], rax);
        } else {
            switch (i.size) {
            case 1: mov(byte[where], int(value_imm & 0xff)); break;
            case 2: mov(word[where], int(value_imm & 0xffff)); break;
            case 4: mov(dword[where], uint32_t(value_imm)); break;
            default: mov(qword[where], int32_t(uint32_t(value_imm))); break;
            }
        }
        bind(done);
        const Target fault = fault_target(i.guest_index);
        const Target changed_code = smc_target(i.guest_index);
        stubs_.push_back([this, s, ga, value_in_reg, value_idx, value_imm, miss, done, fault, changed_code,
                          size = i.size] {
            bind(miss);
            address_into_rdx(ga);
            emit_writeback(s.dirty);
            save_regs(s.saved);
            if (value_in_reg) mov(rcx, Reg64(value_idx));
            else mov(rcx, value_imm);
            mov(rsi, rdx);
            mov(rdi, rbp);
            mov(edx, size);
            call_fn(reinterpret_cast<const void*>(&helper_store));
            test(al, al);
            restore_regs(s.saved);
            jump(kJe, fault);
            cmp(al, kStoreChangedCode);
            jump(kJe, changed_code);
            jump(kJmp, done);
        });
    }
    void helper_call(const IrInsn& i)
    {
        const GuestInsn& g = tb_.guest[i.guest_index];
        before_call();
        store_pinned();
        store_instret(i.guest_index);
        // The helper writes h.x[rd]: a cached copy is stale, a pinned one is reloaded.
        if (i.dst != kNoTemp && !is_pinned(i.dst) && home_[i.dst] >= 0) release(home_[i.dst]);
        mov(rdi, rbp);
        mov(rsi, reinterpret_cast<uintptr_t>(&g.d));
        call_fn(reinterpret_cast<const void*>(kExec[size_t(g.d.op)]));
        test(al, al);
        load_pinned_after_call(i.dst);
        jump(kJe, fault_target(i.guest_index));
    }

    const IrBlock& b_;
    TranslationBlock& tb_;
    const HartLayout& l_;
    const Trampoline& t_;
    std::array<HostReg, 16> regs_{};
    std::array<bool, 16> pinned_{};
    std::vector<int8_t> home_;        // temp -> host register index, -1 if not in one
    std::vector<uint32_t> last_use_;  // temp -> index of the last op reading (or writing) it
    const std::array<Pinned, PinnedRegs::kCount> fixed_;  // the trampoline's pinned registers
    std::array<int8_t, kGuestRegs> fixed_host_{};         // guest register -> its pinned host register, or -1
    uint32_t now_ = 0;
    uint32_t clock_ = 0;
    std::vector<int32_t> target_at_;  // Target -> code offset, -1 until bound
    struct Fixup {
        uint32_t site;  // offset of a rel32 field
        Target to;
    };
    std::vector<Fixup> fixups_;
    std::vector<Target> fault_targets_;  // by guest instruction index (kNoTarget: none)
    std::vector<Target> smc_targets_;    // by guest instruction index (kNoTarget: none)
    std::vector<std::function<void()>> stubs_;
};

}  // namespace

HartLayout HartLayout::of(const Hart& h)
{
    auto off = [&](const void* field) {
        return int32_t(reinterpret_cast<const char*>(field) - reinterpret_cast<const char*>(&h));
    };
    HartLayout l;
    l.x = off(&h.x[0]);
    l.pc = off(&h.pc);
    l.next_pc = off(&h.next_pc);
    l.instret = off(&h.instret);
    l.exit_request = off(&h.exit_request);
    return l;
}

Trampoline emit_trampoline(CodeBuffer& buf, const HartLayout& layout, const PinnedRegs& pinned, NextFn next)
{
    CodeGenerator g(buf.room(), buf.cursor());
    Trampoline t;
    t.pinned = pinned;
    const auto fixed = pinned_list(pinned);
    t.enter = g.getCurr<EnterFn>();
    // enter(hart, base, data_tlb, code): callee-saved registers pushed, the frame (kFrame*) set up,
    // the fixed registers loaded. Every path to the epilogue has rsp back at the frame.
    g.push(g.rbp);
    g.push(g.rbx);
    g.push(g.r12);
    g.push(g.r13);
    g.push(g.r14);
    g.push(g.r15);
    g.sub(g.rsp, kFrameBytes);
    g.mov(g.rbp, g.rdi);
    g.mov(g.qword[g.rsp + kFrameBase], g.rsi);
    g.mov(g.r12, g.rdx);
    g.mov(g.rbx, g.qword[g.rbp + layout.instret]);
    g.sub(g.rbx, g.rsi);
    for (const Pinned& p : fixed) g.mov(Reg64(p.host), g.qword[g.rbp + layout.x + 8 * int(p.guest)]);
    g.jmp(g.rcx);
    t.epilogue = g.getCurr();
    for (const Pinned& p : fixed) g.mov(g.qword[g.rbp + layout.x + 8 * int(p.guest)], Reg64(p.host));
    g.mov(g.rcx, g.qword[g.rsp + kFrameBase]);
    g.add(g.rcx, g.rbx);
    g.mov(g.qword[g.rbp + layout.instret], g.rcx);
    g.add(g.rsp, kFrameBytes);
    g.pop(g.r15);
    g.pop(g.r14);
    g.pop(g.r13);
    g.pop(g.r12);
    g.pop(g.rbx);
    g.pop(g.rbp);
    g.ret();
    g.align(16);
    t.to_next = g.getCurr();
    auto caller_saved = [&](auto each) {
        for (const Pinned& p : fixed)
            if (is_caller_saved(p.host)) each(Reg64(p.host), g.qword[g.rbp + layout.x + 8 * int(p.guest)]);
    };
    caller_saved([&](const Reg64& r, const Address& slot) { g.mov(slot, r); });
    g.mov(g.rdi, g.rbp);
    g.mov(g.rax, reinterpret_cast<uintptr_t>(next));
    g.call(g.rax);
    caller_saved([&](const Reg64& r, const Address& slot) { g.mov(r, slot); });
    g.test(g.rax, g.rax);
    Label none;
    g.jz(none);
    g.jmp(g.rax);
    g.L(none);
    g.mov(g.eax, uint32_t(kExitLookup));
    g.jmp(t.epilogue, CodeGenerator::T_NEAR);
    g.align(16);
    t.bytes = g.getSize();
    buf.commit(t.bytes);
    return t;
}

void compile(const IrBlock& b, TranslationBlock& tb, CodeBuffer& buf, const HartLayout& layout,
             const Trampoline& tramp)
{
    try {
        Compiler c(b, tb, buf, layout, tramp);
        c.run();
        c.align(16);
        tb.code = c.getCode();
        tb.code_size = uint32_t(c.getSize());
        buf.commit(c.getSize());
    } catch (const Xbyak::Error& e) {
        if (int(e) == ERR_CODE_IS_TOO_BIG) throw CodeBufferFull{};
        throw std::runtime_error(std::string("jit: code generation failed: ") + e.what());
    }
}

void patch_jump(TranslationBlock& from, unsigned slot, const uint8_t* to)
{
    uint8_t* site = const_cast<uint8_t*>(from.code) + from.jmp_site[slot];
    const int32_t rel = int32_t(to - (site + 4));
    std::memcpy(site, &rel, 4);
}

}  // namespace locklab::rv::tcg
