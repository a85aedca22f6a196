#include "cpu/tlb.h"

#include "cpu/privileged.h"

namespace locklab::rv {

void TlbTable::flush()
{
    entry.fill(TlbEntry{});
}

void TlbTable::fill(uint64_t va, AccessType t, uint64_t pa, uint8_t* host_page)
{
    const size_t i = index(va);
    const uint64_t page = va & kPageMask;
    TlbEntry& e = entry[i];
    for (uint64_t& tag : e.tag)
        if ((tag & kPageMask) != page) tag = kTlbEmpty;  // the slot held another page
    e.tag[size_t(t)] = page | (host_page ? 0 : kTlbMmio);
    e.host_addend = host_page ? reinterpret_cast<uintptr_t>(host_page) - page : 0;
    pa_addend[i] = (pa & kPageMask) - page;
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

bool tlb_fill_and_resolve(Hart& h, TlbTable& table, uint64_t va, AccessType t, PageRef& out)
{
    uint64_t pa;
    if (!translate(h, va, t, pa)) return false;
    const uint64_t pa_page = pa & kPageMask;
    uint8_t* host_page = h.as.ram_ptr(pa_page, kPageSize);
    table.fill(va, t, pa, host_page);
    out.pa = pa;
    out.host = host_page ? host_page + (pa - pa_page) : nullptr;
    return true;
}

}  // namespace locklab::rv
