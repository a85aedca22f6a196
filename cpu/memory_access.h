// Guest memory accesses of one hart, as the instruction semantics see them: loads, stores, AMOs,
// LR/SC and the uncached instruction fetch. Each returns false after h.raise() (the caller returns
// that to the interpreter, which takes the trap).
//
// Fast path: one TLB tag compare (cpu/tlb.h) and a host access. Guest RAM is shared between harts
// running on different host threads, so every host access to it is atomic: ordinary loads and stores
// are relaxed atomics (plain moves on x86-64, single-copy atomic as RVWMO requires), AMOs and LR/SC
// are seq_cst read-modify-writes (stronger than any aq/rl combination).
//
// Slow path (memory_access.cpp): TLB miss -> translate() + fill; MMIO -> AddressSpace::read/write,
// i.e. the dispatch path, every time; a MemTx other than Ok -> access fault (tval = va).
// Alignment (QEMU 7.2's behaviour): misaligned loads and stores are performed byte by byte, split
// at the page boundary, with both pages translated before any byte moves (so a faulting second page
// leaves memory untouched; tval = the address of the part that faulted). Misaligned LR raises load
// address misaligned; misaligned SC and AMOs raise store/AMO address misaligned.
//
// LR/SC follow QEMU's cmpxchg scheme (see Hart::resv_addr): LR records va and the loaded value; SC
// succeeds iff its va matches and a host compare-exchange from the recorded value succeeds; the
// reservation is dropped either way. Stores of other harts break a reservation only by changing the
// value (ABA-susceptible, as in QEMU). AMOs and SC on MMIO are a read then a write through the
// dispatch path, atomic only with respect to the device's lock model.
#pragma once

#include <atomic>
#include <concepts>
#include <cstdint>

#include "cpu/hart.h"
#include "cpu/tlb.h"
#include "memory/guest_ram_order.h"

namespace locklab::rv {

template <class T>
concept GuestWord = std::same_as<T, uint8_t> || std::same_as<T, uint16_t> || std::same_as<T, uint32_t> ||
                    std::same_as<T, uint64_t>;

// Host view of a naturally aligned guest word in RAM.
template <GuestWord T>
inline std::atomic_ref<T> host_word(uint8_t* p)
{
    return std::atomic_ref<T>(*reinterpret_cast<T*>(p));
}

// FENCE on the host: a full barrier between this hart's accesses, the one devices doing DMA pair
// with (memory/guest_ram_order.h; in TSan builds a read-modify-write of a word they also use, so
// TSan sees the ordering a virtio ring relies on).
inline void host_fence() { guest_ram_fence(); }

// Non-inline slow paths (memory_access.cpp).
bool load_slow(Hart& h, uint64_t va, unsigned size, uint64_t& value);
bool store_slow(Hart& h, uint64_t va, unsigned size, uint64_t value);
// A read or write of an MMIO word for an atomic operation; raises the AMO access fault on failure.
bool mmio_read(Hart& h, const PageRef& p, uint64_t va, AccessType t, unsigned size, uint64_t& value);
bool mmio_write(Hart& h, const PageRef& p, uint64_t va, unsigned size, uint64_t value);
// Fetch the instruction at pc without the block cache (page-straddling or non-RAM code); each
// 16-bit parcel is translated on its own. Raises instruction page/access faults.
bool fetch_uncached(Hart& h, uint64_t pc, uint32_t& bits);

// Resolve the page of an AMO/LR/SC: alignment check (raises `misaligned`), then a TLB lookup for `t`.
inline bool resolve_atomic(Hart& h, uint64_t va, unsigned size, AccessType t, Exception misaligned, PageRef& out)
{
    if (va & (size - 1)) return h.raise(misaligned, va);
    return tlb_resolve(h, *h.tlb->data, va, t, out);
}

// The data TLB entry for `va` if it holds an aligned RAM mapping for access `t` and `size`, else null.
inline const TlbEntry* data_hit(const Hart& h, uint64_t va, AccessType t, uint64_t size)
{
    const TlbEntry& e = h.tlb->data->entry[TlbTable::index(va)];
    return e.load_tag(t) == (va & (kPageMask | (size - 1))) ? &e : nullptr;
}

// After a store to RAM resolved through the data TLB (an AMO, SC): a page holding code learns which
// bytes changed (cpu/code_map.h). The store must be done.
void code_stored(Hart& h, uint64_t va, uint64_t pa, unsigned size);
inline void note_ram_store(Hart& h, uint64_t va, const PageRef& p, unsigned size)
{
    if (h.tlb->data->entry[TlbTable::index(va)].load_tag(AccessType::Store) & kTlbCode) [[unlikely]]
        code_stored(h, va, p.pa, size);
}

template <GuestWord T>
inline bool load(Hart& h, uint64_t va, T& value)
{
    if (const TlbEntry* e = data_hit(h, va, AccessType::Load, sizeof(T))) [[likely]] {
        value = host_word<T>(reinterpret_cast<uint8_t*>(va + e->host_addend)).load(std::memory_order_relaxed);
        return true;
    }
    uint64_t v;
    if (!load_slow(h, va, sizeof(T), v)) return false;
    value = T(v);
    return true;
}

template <GuestWord T>
inline bool store(Hart& h, uint64_t va, T value)
{
    if (const TlbEntry* e = data_hit(h, va, AccessType::Store, sizeof(T))) [[likely]] {
        host_word<T>(reinterpret_cast<uint8_t*>(va + e->host_addend)).store(value, std::memory_order_relaxed);
        return true;
    }
    return store_slow(h, va, sizeof(T), value);
}

// Atomic read-modify-write: memory becomes rmw(old); `old` receives the previous value.
template <GuestWord T, class Rmw>
inline bool amo(Hart& h, uint64_t va, T& old, Rmw rmw)
{
    PageRef p;
    if (!resolve_atomic(h, va, sizeof(T), AccessType::Store, Exception::StoreMisaligned, p)) return false;
    if (!p.host) {
        uint64_t v;
        if (!mmio_read(h, p, va, AccessType::Store, sizeof(T), v)) return false;
        old = T(v);
        return mmio_write(h, p, va, sizeof(T), rmw(old));
    }
    auto word = host_word<T>(p.host);
    old = word.load(std::memory_order_relaxed);
    while (!word.compare_exchange_weak(old, rmw(old), std::memory_order_seq_cst, std::memory_order_relaxed)) {
    }
    note_ram_store(h, va, p, sizeof(T));
    return true;
}

template <GuestWord T>
inline bool load_reserved(Hart& h, uint64_t va, T& value)
{
    PageRef p;
    if (!resolve_atomic(h, va, sizeof(T), AccessType::Load, Exception::LoadMisaligned, p)) return false;
    if (p.host) {
        value = host_word<T>(p.host).load(std::memory_order_seq_cst);
    } else {
        uint64_t v;
        if (!mmio_read(h, p, va, AccessType::Load, sizeof(T), v)) return false;
        value = T(v);
    }
    h.resv_addr = va;
    h.resv_value = value;
    return true;
}

// `success` is set when the store was performed (rd = 0), cleared when the SC failed (rd = 1).
template <GuestWord T>
inline bool store_conditional(Hart& h, uint64_t va, T value, bool& success)
{
    success = false;
    if (va & (sizeof(T) - 1)) return h.raise(Exception::StoreMisaligned, va);
    if (h.resv_addr != va) {  // no reservation here: fail without touching memory (as QEMU)
        h.resv_addr = ~uint64_t(0);
        return true;
    }
    PageRef p;
    if (!resolve_atomic(h, va, sizeof(T), AccessType::Store, Exception::StoreMisaligned, p)) return false;
    T expected = T(h.resv_value);
    h.resv_addr = ~uint64_t(0);
    if (p.host) {
        success = host_word<T>(p.host).compare_exchange_strong(expected, value, std::memory_order_seq_cst);
        if (success) note_ram_store(h, va, p, sizeof(T));
        return true;
    }
    uint64_t current;
    if (!mmio_read(h, p, va, AccessType::Store, sizeof(T), current)) return false;
    if (T(current) != expected) return true;
    success = true;
    return mmio_write(h, p, va, sizeof(T), value);
}

}  // namespace locklab::rv
