#include "cpu/code_map.h"

#include <bit>
#include <map>

#include "cpu/block_cache.h"
#include "cpu/tcg/engine.h"

namespace locklab::rv {
namespace {

uint64_t hart_bit(const Hart& h) { return uint64_t(1) << (h.hartid % 64); }

}  // namespace

std::shared_ptr<CodeMap> CodeMap::of(AddressSpace& as)
{
    static std::mutex mutex;  // protects maps
    static std::map<const AddressSpace*, std::weak_ptr<CodeMap>> maps;
    std::lock_guard lk(mutex);
    std::weak_ptr<CodeMap>& slot = maps[&as];
    std::shared_ptr<CodeMap> map = slot.lock();
    if (!map) {
        map = std::make_shared<CodeMap>();
        slot = map;
    }
    return map;
}

CodeMap::~CodeMap()
{
    for (auto& c : chunks_) delete[] c.load(std::memory_order_relaxed);
}

void CodeMap::attach(Hart& h, Tlb& tlb)
{
    std::lock_guard lk(members_mutex_);
    members_.push_back({&h, &tlb});
}

void CodeMap::detach(Tlb& tlb)
{
    std::lock_guard lk(members_mutex_);
    std::erase_if(members_, [&](const Member& m) { return m.tlb == &tlb; });
}

CodeMap::Page* CodeMap::page(uint64_t pa) const
{
    if (pa >> kTrackedBits) return nullptr;
    Page* chunk = chunks_[pa >> kChunkBits].load(std::memory_order_acquire);
    return chunk ? &chunk[(pa >> kPageBits) & (kPagesPerChunk - 1)] : nullptr;
}

CodeMap::Page* CodeMap::page_or_create(uint64_t pa)
{
    if (pa >> kTrackedBits) return nullptr;
    std::atomic<Page*>& slot = chunks_[pa >> kChunkBits];
    Page* chunk = slot.load(std::memory_order_acquire);
    if (!chunk) {
        Page* fresh = new Page[kPagesPerChunk];
        if (slot.compare_exchange_strong(chunk, fresh, std::memory_order_acq_rel)) chunk = fresh;
        else delete[] fresh;  // another hart installed one first: `chunk` is it
    }
    return &chunk[(pa >> kPageBits) & (kPagesPerChunk - 1)];
}

bool CodeMap::page_has_code(uint64_t pa) const
{
    const Page* p = page(pa);
    return p && p->lines.load(std::memory_order_seq_cst) != 0;
}

void CodeMap::mark(Hart& h, Page& p, uint64_t pa_page, uint64_t lines)
{
    p.harts.fetch_or(hart_bit(h), std::memory_order_seq_cst);
    if (p.lines.fetch_or(lines, std::memory_order_seq_cst) != 0) return;  // already protected
    std::lock_guard lk(members_mutex_);
    for (const Member& m : members_)
        for (TlbTable& t : m.tlb->data_context) t.protect(pa_page);
}

bool CodeMap::add_lines(Hart& h, uint64_t pa_page, uint64_t lines)
{
    Page* p = page_or_create(pa_page);
    if (!p) return false;
    mark(h, *p, pa_page, lines);
    return true;
}

void CodeMap::written(Hart& h, TlbTable& table, uint64_t va, uint64_t pa, uint64_t len)
{
    Page* p = page(pa);
    const uint64_t mask = code_line_mask(pa, len);
    // A load, not a read-modify-write that would order the store before a concurrent mark(): that
    // cost a locked instruction on every store next to code, for a store racing with the first
    // translation of the very line it writes (the window described in code_map.h).
    const uint64_t before = p ? p->lines.load(std::memory_order_seq_cst) : 0;
    if (before & mask) {
        if (drop_cached_code(h, pa, len)) h.tlb->code_written = true;
        // Lines of this hart's remaining code stay marked; the others' code on the stored lines is
        // dropped by the work queued below (a hart that marked them meanwhile has its bit in
        // `harts` already, so it gets the work too).
        const uint64_t cleared = mask & ~cached_code_lines(h, pa & kPageMask);
        if (cleared) p->lines.fetch_and(~cleared, std::memory_order_seq_cst);
        invalidate_others(h, pa, mask, p->harts.load(std::memory_order_seq_cst));
    }
    if (!p || p->lines.load(std::memory_order_seq_cst) == 0) table.drop_code_flag(TlbTable::index(va), *this);
}

void CodeMap::invalidate_others(const Hart& h, uint64_t pa, uint64_t lines_mask, uint64_t harts)
{
    // The stored lines as one range (whole lines: the others drop every block touching them).
    const uint64_t page_base = pa & kPageMask;
    const uint64_t lo = page_base + uint64_t(std::countr_zero(lines_mask)) * kCodeLineSize;
    const uint64_t hi = page_base + uint64_t(64 - std::countl_zero(lines_mask)) * kCodeLineSize;
    std::lock_guard lk(members_mutex_);
    for (const Member& m : members_) {
        Hart* other = m.hart;
        if (other == &h || !(harts & hart_bit(*other))) continue;
        other->run_on_cpu([other, lo, hi] { invalidate_cached_code(*other, lo, hi - lo); });
    }
}

CodeMap& code_map(Hart& h)
{
    Tlb& tlb = *h.tlb;
    if (!tlb.code) [[unlikely]] {
        tlb.code = CodeMap::of(h.as);
        tlb.code->attach(h, tlb);
    }
    return *tlb.code;
}

bool drop_cached_code(Hart& h, uint64_t pa, uint64_t len)
{
    const bool dropped = h.blocks->invalidate(pa, len);
    return (h.jit && h.jit->invalidate(pa, len)) || dropped;
}

uint64_t cached_code_lines(const Hart& h, uint64_t pa_page)
{
    return h.blocks->code_lines(pa_page) | (h.jit ? h.jit->code_lines(pa_page) : 0);
}

bool invalidate_cached_code(Hart& h, uint64_t pa, uint64_t len)
{
    const bool dropped = drop_cached_code(h, pa, len);
    // The storing hart cleared the lines: mark those of the code kept here again.
    const uint64_t page_base = pa & kPageMask;
    if (const uint64_t kept = cached_code_lines(h, page_base)) code_map(h).add_lines(h, page_base, kept);
    return dropped;
}

}  // namespace locklab::rv
