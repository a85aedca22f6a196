// Sv39 page tables built in the test's guest RAM, for the MMU tests (test_mmu*.cpp).
#pragma once

#include <catch2/catch.hpp>

#include <atomic>

#include "tests/cpu/priv_fixture.h"

namespace locklab::rv::test {

inline constexpr uint64_t kLeafRWX = PTE_V | PTE_R | PTE_W | PTE_X;
inline constexpr uint64_t kAD = PTE_A | PTE_D;
inline constexpr AccessType kAllTypes[] = {AccessType::Fetch, AccessType::Load, AccessType::Store};

inline const char* name(AccessType t) { return t == AccessType::Fetch ? "fetch" : t == AccessType::Load ? "load" : "store"; }

struct MmuFixture : PrivFixture {
    uint64_t next_table = kRamBase + 0x10'0000;
    uint64_t root = alloc_table();

    MmuFixture()
    {
        set_raw(csr::satp, (SATP_MODE_SV39 << SATP_MODE_SHIFT) | (root >> 12));
        set_priv(h, Priv::S);
    }

    uint64_t alloc_table()
    {
        const uint64_t t = next_table;
        next_table += 0x1000;
        return t;
    }
    // The PTE at guest-physical address `pa` (in RAM), for the test to read and write.
    std::atomic_ref<uint64_t> pte_at(uint64_t pa)
    {
        uint8_t* p = as.ram_ptr(pa, 8);
        REQUIRE(p != nullptr);
        return std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(p));
    }
    static uint64_t vpn(uint64_t va, int level) { return (va >> (12 + 9 * level)) & 0x1FF; }
    static uint64_t pte_for(uint64_t pa, uint64_t flags) { return ((pa >> 12) << PTE_PPN_SHIFT) | flags; }
    uint64_t table_of(uint64_t pte) { return ((pte >> PTE_PPN_SHIFT) & PTE_PPN) << 12; }

    // Write `pte` for `va` at `level` (0: 4 KiB, 1: 2 MiB, 2: 1 GiB), creating the tables above it.
    // Returns the PTE's guest-physical address.
    uint64_t set_pte(uint64_t va, int level, uint64_t pte)
    {
        uint64_t table = root;
        for (int l = 2; l > level; --l) {
            auto slot = pte_at(table + vpn(va, l) * 8);
            if (!(slot.load() & PTE_V)) slot.store(pte_for(alloc_table(), PTE_V));
            table = table_of(slot.load());
        }
        const uint64_t addr = table + vpn(va, level) * 8;
        pte_at(addr).store(pte);
        return addr;
    }
    uint64_t map(uint64_t va, uint64_t pa, int level, uint64_t flags) { return set_pte(va, level, pte_for(pa, flags)); }

    bool xlate(uint64_t va, AccessType t, uint64_t& pa)
    {
        clear_trap();
        pa = ~uint64_t(0);
        return translate(h, va, t, pa);
    }
    // Expect `va` to fault with the page fault of `t` and tval = va.
    void check_page_fault(uint64_t va, AccessType t)
    {
        INFO(name(t) << " at " << std::hex << va);
        uint64_t pa = 0;
        CHECK_FALSE(xlate(va, t, pa));
        CHECK(raised(page_fault_cause(t)));
        CHECK(h.trap_tval == va);
    }
};

}  // namespace locklab::rv::test
