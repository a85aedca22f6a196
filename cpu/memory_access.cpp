// Slow paths of cpu/memory_access.h: TLB misses, MMIO, misaligned and page-crossing accesses,
// uncached instruction fetch.
#include "cpu/memory_access.h"

#include <algorithm>

#include "cpu/code_map.h"

namespace locklab::rv {
namespace {

Exception access_fault(AccessType t)
{
    switch (t) {
    case AccessType::Fetch: return Exception::InsnAccessFault;
    case AccessType::Load: return Exception::LoadAccessFault;
    case AccessType::Store: break;
    }
    return Exception::StoreAccessFault;
}

uint64_t host_load(uint8_t* p, unsigned size)
{
    switch (size) {
    case 1: return host_word<uint8_t>(p).load(std::memory_order_relaxed);
    case 2: return host_word<uint16_t>(p).load(std::memory_order_relaxed);
    case 4: return host_word<uint32_t>(p).load(std::memory_order_relaxed);
    default: return host_word<uint64_t>(p).load(std::memory_order_relaxed);
    }
}

void host_store(uint8_t* p, unsigned size, uint64_t value)
{
    switch (size) {
    case 1: host_word<uint8_t>(p).store(uint8_t(value), std::memory_order_relaxed); break;
    case 2: host_word<uint16_t>(p).store(uint16_t(value), std::memory_order_relaxed); break;
    case 4: host_word<uint32_t>(p).store(uint32_t(value), std::memory_order_relaxed); break;
    default: host_word<uint64_t>(p).store(value, std::memory_order_relaxed); break;
    }
}

// One byte of a split access; `part_va` is the start of the part the byte belongs to (for tval).
bool split_byte(Hart& h, const PageRef& p, uint64_t offset, uint64_t part_va, AccessType t, uint8_t& byte)
{
    if (p.host) {
        if (t == AccessType::Load)
            byte = host_word<uint8_t>(p.host + offset).load(std::memory_order_relaxed);
        else
            host_word<uint8_t>(p.host + offset).store(byte, std::memory_order_relaxed);
        return true;
    }
    uint64_t v = byte;
    const MemTx tx = t == AccessType::Load ? h.as.read(p.pa + offset, 1, v, int(h.hartid))
                                           : h.as.write(p.pa + offset, 1, v, int(h.hartid));
    if (tx != MemTx::Ok) return h.raise(access_fault(t), part_va);
    byte = uint8_t(v);
    return true;
}

// A misaligned load or store, byte by byte (little-endian), in at most two parts split at the page
// boundary. Both parts are translated before the first byte moves.
bool access_split(Hart& h, uint64_t va, unsigned size, AccessType t, uint64_t& value)
{
    const unsigned first = unsigned(std::min<uint64_t>(size, kPageSize - (va & ~kPageMask)));
    TlbTable& tlb = *h.tlb->data;
    PageRef part[2];
    if (!tlb_resolve(h, tlb, va, t, part[0])) return false;
    if (first < size && !tlb_resolve(h, tlb, va + first, t, part[1])) return false;
    uint64_t loaded = 0;
    for (unsigned i = 0; i < size; ++i) {
        const bool second = i >= first;
        const uint64_t part_va = second ? va + first : va;
        uint8_t byte = t == AccessType::Store ? uint8_t(value >> (8 * i)) : 0;
        if (!split_byte(h, part[second], va + i - part_va, part_va, t, byte)) return false;
        loaded |= uint64_t(byte) << (8 * i);
    }
    if (t == AccessType::Load) {
        value = loaded;
    } else {
        if (part[0].host) note_ram_store(h, va, part[0], first);
        if (first < size && part[1].host) note_ram_store(h, va + first, part[1], size - first);
    }
    return true;
}

bool fetch_parcel(Hart& h, uint64_t va, uint16_t& parcel)
{
    PageRef p;
    if (!tlb_resolve(h, *h.tlb->fetch, va, AccessType::Fetch, p)) return false;
    if (p.host) {
        parcel = host_word<uint16_t>(p.host).load(std::memory_order_relaxed);
        return true;
    }
    uint64_t v;
    if (h.as.read(p.pa, 2, v, int(h.hartid)) != MemTx::Ok) return h.raise(Exception::InsnAccessFault, va);
    parcel = uint16_t(v);
    return true;
}

}  // namespace

bool load_slow(Hart& h, uint64_t va, unsigned size, uint64_t& value)
{
    if (va & (size - 1)) return access_split(h, va, size, AccessType::Load, value);
    PageRef p;
    if (!tlb_resolve(h, *h.tlb->data, va, AccessType::Load, p)) return false;
    if (!p.host) return mmio_read(h, p, va, AccessType::Load, size, value);
    value = host_load(p.host, size);
    return true;
}

bool store_slow(Hart& h, uint64_t va, unsigned size, uint64_t value)
{
    if (va & (size - 1)) return access_split(h, va, size, AccessType::Store, value);
    PageRef p;
    if (!tlb_resolve(h, *h.tlb->data, va, AccessType::Store, p)) return false;
    if (!p.host) return mmio_write(h, p, va, size, value);
    host_store(p.host, size, value);
    note_ram_store(h, va, p, size);
    return true;
}

void code_stored(Hart& h, uint64_t va, uint64_t pa, unsigned size)
{
    code_map(h).written(h, *h.tlb->data, va, pa, size);
}

bool mmio_read(Hart& h, const PageRef& p, uint64_t va, AccessType t, unsigned size, uint64_t& value)
{
    if (h.as.read(p.pa, size, value, int(h.hartid)) != MemTx::Ok) return h.raise(access_fault(t), va);
    return true;
}

bool mmio_write(Hart& h, const PageRef& p, uint64_t va, unsigned size, uint64_t value)
{
    if (h.as.write(p.pa, size, value, int(h.hartid)) != MemTx::Ok)
        return h.raise(Exception::StoreAccessFault, va);
    return true;
}

bool fetch_uncached(Hart& h, uint64_t pc, uint32_t& bits)
{
    uint16_t lo = 0, hi = 0;
    if (!fetch_parcel(h, pc, lo)) return false;
    if (insn_length(lo) == 4 && !fetch_parcel(h, pc + 2, hi)) return false;
    bits = lo | uint32_t(hi) << 16;
    return true;
}

}  // namespace locklab::rv
