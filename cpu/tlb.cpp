#include "cpu/tlb.h"

#include "cpu/code_map.h"
#include "cpu/privileged.h"

namespace locklab::rv {
namespace {

std::atomic_ref<uint64_t> atomic_tag(TlbEntry& e, AccessType t) { return std::atomic_ref<uint64_t>(e.tag[size_t(t)]); }

}  // namespace

void TlbTable::flush()
{
    for (TlbEntry& e : entry) {
        for (AccessType t : {AccessType::Fetch, AccessType::Load, AccessType::Store})
            atomic_tag(e, t).store(kTlbEmpty, std::memory_order_relaxed);
        e.host_addend = 0;
    }
}

void TlbTable::set_store_tag(size_t i, uint64_t tag, const CodeMap* code)
{
    // Dekker with CodeMap::add (which marks the page, then protects): either its protect() sees
    // this tag, or this re-check sees its mark.
    atomic_tag(entry[i], AccessType::Store).store(tag, std::memory_order_seq_cst);
    if (code && !(tag & (kTlbEmpty | kTlbMmio | kTlbCode))) {
        const uint64_t pa = (tag & kPageMask) + pa_addend[i];
        if (code->page_has_code(pa)) atomic_tag(entry[i], AccessType::Store).fetch_or(kTlbCode, std::memory_order_relaxed);
    }
}

void TlbTable::fill(uint64_t va, AccessType t, uint64_t pa, uint8_t* host_page, const CodeMap* code)
{
    const size_t i = index(va);
    const uint64_t page = va & kPageMask;
    TlbEntry& e = entry[i];
    for (AccessType other : {AccessType::Fetch, AccessType::Load, AccessType::Store})
        if ((e.load_tag(other) & kPageMask) != page) atomic_tag(e, other).store(kTlbEmpty, std::memory_order_relaxed);
    e.host_addend = host_page ? reinterpret_cast<uintptr_t>(host_page) - page : 0;
    std::atomic_ref<uint64_t>(pa_addend[i]).store((pa & kPageMask) - page, std::memory_order_relaxed);
    const uint64_t tag = page | (host_page ? 0 : kTlbMmio);
    if (t == AccessType::Store) set_store_tag(i, tag, code);
    else atomic_tag(e, t).store(tag, std::memory_order_relaxed);
}

void TlbTable::drop_code_flag(size_t i, const CodeMap& code)
{
    const uint64_t tag = entry[i].load_tag(AccessType::Store);
    if (tag & kTlbCode) set_store_tag(i, tag & ~kTlbCode, &code);
}

void TlbTable::protect(uint64_t pa_page)
{
    for (size_t i = 0; i < kTlbEntries; ++i) {
        auto tag = atomic_tag(entry[i], AccessType::Store);
        const uint64_t t = tag.load(std::memory_order_seq_cst);
        if (t & (kTlbEmpty | kTlbMmio | kTlbCode)) continue;
        const uint64_t addend = std::atomic_ref<uint64_t>(pa_addend[i]).load(std::memory_order_relaxed);
        // A racing refill may make this flag a page without code: its next store only takes the
        // slow path once, which drops the flag again.
        if ((t & kPageMask) + addend == pa_page) tag.fetch_or(kTlbCode, std::memory_order_relaxed);
    }
}

void Tlb::select(Priv fetch_priv, Priv data_priv)
{
    fetch = &fetch_context[context_index(fetch_priv)];
    data = &data_context[context_index(data_priv)];
}

void Tlb::flush()
{
    for (TlbTable& t : fetch_context) t.flush();
    for (TlbTable& t : data_context) t.flush();
}

Tlb::~Tlb()
{
    if (code) code->detach(*this);
}

bool tlb_fill_and_resolve(Hart& h, TlbTable& table, uint64_t va, AccessType t, PageRef& out)
{
    uint64_t pa;
    if (!translate(h, va, t, pa)) return false;
    const uint64_t pa_page = pa & kPageMask;
    uint8_t* host_page = h.as.ram_ptr(pa_page, kPageSize);
    table.fill(va, t, pa, host_page, &code_map(h));
    out.pa = pa;
    out.host = host_page ? host_page + (pa - pa_page) : nullptr;
    return true;
}

}  // namespace locklab::rv
