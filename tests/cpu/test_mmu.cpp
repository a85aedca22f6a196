// Sv39 translation over page tables built in guest RAM: 4 KiB, 2 MiB and 1 GiB pages, misaligned
// superpages, invalid PTEs, every R/W/X combination with MXR, the U bit with SUM, MPRV, A/D
// updates by the walk (also against concurrent PTE writers), non-canonical addresses, and page
// tables outside RAM.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "tests/cpu/mmu_fixture.h"

using namespace locklab::rv;
using namespace locklab::rv::test;

TEST_CASE("each access type has its own page fault and access fault cause", "[cpu][mmu]")
{
    CHECK(uint64_t(page_fault_cause(AccessType::Fetch)) == 12);
    CHECK(uint64_t(page_fault_cause(AccessType::Load)) == 13);
    CHECK(uint64_t(page_fault_cause(AccessType::Store)) == 15);
    CHECK(uint64_t(access_fault_cause(AccessType::Fetch)) == 1);
    CHECK(uint64_t(access_fault_cause(AccessType::Load)) == 5);
    CHECK(uint64_t(access_fault_cause(AccessType::Store)) == 7);
}

TEST_CASE_METHOD(MmuFixture, "satp.MODE = Bare and M-mode use physical addresses", "[cpu][mmu]")
{
    uint64_t pa = 0;
    set_priv(h, Priv::M);  // satp is Sv39, but M-mode does not translate
    for (AccessType t : kAllTypes) {
        REQUIRE(xlate(0x1234'5678'9ABC, t, pa));
        CHECK(pa == 0x1234'5678'9ABC);
    }
    set_raw(csr::satp, 0);
    set_priv(h, Priv::U);
    REQUIRE(xlate(0xFFFF'0000'0000'0010, AccessType::Load, pa));  // no canonical check either
    CHECK(pa == 0xFFFF'0000'0000'0010);
}

TEST_CASE_METHOD(MmuFixture, "a 4 KiB page maps its offset bits through", "[cpu][mmu]")
{
    map(0x4000'1000, kRamBase + 0x20'0000, 0, kLeafRWX | kAD);
    uint64_t pa = 0;
    for (AccessType t : kAllTypes) {
        REQUIRE(xlate(0x4000'1ABC, t, pa));
        CHECK(pa == kRamBase + 0x20'0ABC);
    }
    check_page_fault(0x4000'2000, AccessType::Load);  // the neighbour is not mapped
}

TEST_CASE_METHOD(MmuFixture, "a 2 MiB megapage maps 21 offset bits", "[cpu][mmu]")
{
    map(0x4020'0000, kRamBase + 0x40'0000, 1, kLeafRWX | kAD);
    uint64_t pa = 0;
    REQUIRE(xlate(0x4020'0000 + 0x1F'F123, AccessType::Store, pa));
    CHECK(pa == kRamBase + 0x40'0000 + 0x1F'F123);
}

TEST_CASE_METHOD(MmuFixture, "a 1 GiB gigapage maps 30 offset bits", "[cpu][mmu]")
{
    map(0xC000'0000, 0x1'4000'0000, 2, kLeafRWX | kAD);
    uint64_t pa = 0;
    REQUIRE(xlate(0xC000'0000 + 0x3456'789A, AccessType::Fetch, pa));
    CHECK(pa == 0x1'4000'0000 + 0x3456'789A);
}

TEST_CASE_METHOD(MmuFixture, "addresses in the upper half are sign-extended from bit 38", "[cpu][mmu]")
{
    const uint64_t va = 0xFFFF'FFC0'0000'0000;  // vpn[2] = 256
    map(va, kRamBase, 2, kLeafRWX | kAD);
    uint64_t pa = 0;
    REQUIRE(xlate(va + 0x1234, AccessType::Load, pa));
    CHECK(pa == kRamBase + 0x1234);
}

TEST_CASE_METHOD(MmuFixture, "a non-canonical address raises the page fault of its access type", "[cpu][mmu]")
{
    map(0, kRamBase, 2, kLeafRWX | kAD);  // vpn[2] = 0 would match if bits 63:39 were ignored
    for (uint64_t va : {uint64_t(0x40'0000'0000), uint64_t(0x80'0000'1000), uint64_t(0xFFFF'FF80'0000'0000),
                        uint64_t(0x8000'0000'0000'0000)}) {
        for (AccessType t : kAllTypes) check_page_fault(va, t);
    }
}

TEST_CASE_METHOD(MmuFixture, "a superpage whose PPN is not aligned to its size faults", "[cpu][mmu]")
{
    map(0x4020'0000, kRamBase + 0x40'1000, 1, kLeafRWX | kAD);  // 2 MiB page at a 4 KiB boundary
    map(0x8000'0000, kRamBase + 0x20'0000, 2, kLeafRWX | kAD);  // 1 GiB page at a 2 MiB boundary
    for (AccessType t : kAllTypes) {
        check_page_fault(0x4020'0000, t);
        check_page_fault(0x8000'0000 + 0x1000, t);
    }
}

TEST_CASE_METHOD(MmuFixture, "invalid PTEs fault: V clear, W without R, reserved bits set", "[cpu][mmu]")
{
    const uint64_t va = 0x4000'0000;
    const uint64_t bad[] = {
        kLeafRWX & ~PTE_V,                        // not valid
        PTE_V | PTE_W | kAD,                      // write-only: reserved encoding
        PTE_V | PTE_W | PTE_X | kAD,              // write+execute without read: reserved
        kLeafRWX | kAD | bit(54),                 // reserved bit
        kLeafRWX | kAD | (uint64_t(1) << 61),     // PBMT without Svpbmt
        kLeafRWX | kAD | bit(63),                 // N without Svnapot
    };
    for (uint64_t flags : bad) {
        INFO("flags " << std::hex << flags);
        map(va, kRamBase, 0, flags);
        for (AccessType t : kAllTypes) check_page_fault(va, t);
    }
}

TEST_CASE_METHOD(MmuFixture, "a pointer PTE at the last level faults", "[cpu][mmu]")
{
    map(0x4000'0000, kRamBase + 0x30'0000, 0, PTE_V);  // R = W = X = 0: points to a next level
    check_page_fault(0x4000'0000, AccessType::Load);
}

TEST_CASE_METHOD(MmuFixture, "R W X bits and MXR decide what each access type may do", "[cpu][mmu]")
{
    struct Case {
        uint64_t rwx;
        bool fetch, load, store, load_mxr;
    };
    const Case cases[] = {
        {PTE_R, false, true, false, true},
        {PTE_R | PTE_W, false, true, true, true},
        {PTE_X, true, false, false, true},  // execute-only: readable only with MXR
        {PTE_R | PTE_X, true, true, false, true},
        {PTE_R | PTE_W | PTE_X, true, true, true, true},
    };
    const uint64_t va = 0x4000'0000;
    for (const Case& c : cases) {
        INFO("rwx " << std::hex << c.rwx);
        map(va, kRamBase, 0, PTE_V | c.rwx | kAD);
        uint64_t pa = 0;
        for (bool mxr : {false, true}) {
            set_raw(csr::mstatus, mxr ? MSTATUS_MXR : 0);
            const bool load_ok = mxr ? c.load_mxr : c.load;
            CHECK(xlate(va, AccessType::Fetch, pa) == c.fetch);
            CHECK(xlate(va, AccessType::Load, pa) == load_ok);
            if (!load_ok) CHECK(raised(Exception::LoadPageFault));
            CHECK(xlate(va, AccessType::Store, pa) == c.store);
            if (!c.store) CHECK(raised(Exception::StorePageFault));
        }
    }
}

TEST_CASE_METHOD(MmuFixture, "U-mode may access only pages with U set", "[cpu][mmu]")
{
    map(0x4000'0000, kRamBase, 0, kLeafRWX | kAD);
    map(0x4000'1000, kRamBase + 0x1000, 0, kLeafRWX | kAD | PTE_U);
    set_priv(h, Priv::U);
    uint64_t pa = 0;
    for (AccessType t : kAllTypes) {
        check_page_fault(0x4000'0000, t);
        CHECK(xlate(0x4000'1000, t, pa));
    }
    set_raw(csr::mstatus, MSTATUS_SUM);  // SUM does not matter for U-mode
    check_page_fault(0x4000'0000, AccessType::Load);
}

TEST_CASE_METHOD(MmuFixture, "S-mode reaches U pages only for loads and stores, and only with SUM", "[cpu][mmu]")
{
    map(0x4000'1000, kRamBase + 0x1000, 0, kLeafRWX | kAD | PTE_U);
    uint64_t pa = 0;
    for (AccessType t : kAllTypes) check_page_fault(0x4000'1000, t);
    set_raw(csr::mstatus, MSTATUS_SUM);
    CHECK(xlate(0x4000'1000, AccessType::Load, pa));
    CHECK(xlate(0x4000'1000, AccessType::Store, pa));
    check_page_fault(0x4000'1000, AccessType::Fetch);  // never, whatever SUM says
}

TEST_CASE_METHOD(MmuFixture, "MPRV makes M-mode loads and stores translate as MPP while fetches stay physical",
                 "[cpu][mmu]")
{
    const uint64_t va = 0x4000'1000;
    map(va, kRamBase + 0x5000, 0, kLeafRWX | kAD);  // supervisor page
    set_priv(h, Priv::M);
    set_raw(csr::mstatus, MSTATUS_MPRV);  // MPP = U
    CHECK(effective_priv(h, AccessType::Load) == Priv::U);
    CHECK(effective_priv(h, AccessType::Fetch) == Priv::M);
    check_page_fault(va, AccessType::Load);   // U may not touch an S page
    check_page_fault(va, AccessType::Store);
    uint64_t pa = 0;
    REQUIRE(xlate(va, AccessType::Fetch, pa));
    CHECK(pa == va);

    set_raw(csr::mstatus, MSTATUS_MPRV | (uint64_t(1) << MSTATUS_MPP_SHIFT));  // MPP = S
    REQUIRE(xlate(va, AccessType::Load, pa));
    CHECK(pa == kRamBase + 0x5000);

    set_raw(csr::mstatus, MSTATUS_MPRV | MSTATUS_MPP);  // MPP = M: physical
    REQUIRE(xlate(va, AccessType::Store, pa));
    CHECK(pa == va);
}

TEST_CASE_METHOD(MmuFixture, "MPRV with MPP = S applies SUM to U pages", "[cpu][mmu]")
{
    map(0x4000'1000, kRamBase, 0, kLeafRWX | kAD | PTE_U);
    set_priv(h, Priv::M);
    set_raw(csr::mstatus, MSTATUS_MPRV | (uint64_t(1) << MSTATUS_MPP_SHIFT));
    check_page_fault(0x4000'1000, AccessType::Load);
    set_raw(csr::mstatus, MSTATUS_MPRV | (uint64_t(1) << MSTATUS_MPP_SHIFT) | MSTATUS_SUM);
    uint64_t pa = 0;
    CHECK(xlate(0x4000'1000, AccessType::Load, pa));
}

TEST_CASE_METHOD(MmuFixture, "MPRV does not apply outside M-mode", "[cpu][mmu]")
{
    set_raw(csr::mstatus, MSTATUS_MPRV);  // left set by M-mode firmware; MPP = U
    CHECK(effective_priv(h, AccessType::Load) == Priv::S);
}

TEST_CASE_METHOD(MmuFixture, "the walk sets A on every access and D on stores", "[cpu][mmu]")
{
    uint64_t pa = 0;
    for (AccessType t : kAllTypes) {
        const uint64_t addr = map(0x4000'0000, kRamBase, 0, kLeafRWX);
        REQUIRE(xlate(0x4000'0000, t, pa));
        const uint64_t pte = pte_at(addr).load();
        INFO(name(t));
        CHECK(pte & PTE_A);
        CHECK(bool(pte & PTE_D) == (t == AccessType::Store));
        CHECK((pte & ~kAD) == pte_for(kRamBase, kLeafRWX));  // nothing else changed
    }
}

TEST_CASE_METHOD(MmuFixture, "A and D are set on superpage leaves too", "[cpu][mmu]")
{
    const uint64_t addr = map(0x4020'0000, kRamBase + 0x20'0000, 1, kLeafRWX);
    uint64_t pa = 0;
    REQUIRE(xlate(0x4020'0000, AccessType::Store, pa));
    CHECK((pte_at(addr).load() & kAD) == kAD);
}

TEST_CASE_METHOD(MmuFixture, "a faulting access does not set A", "[cpu][mmu]")
{
    const uint64_t addr = map(0x4000'0000, kRamBase, 0, PTE_V | PTE_R);
    check_page_fault(0x4000'0000, AccessType::Store);
    CHECK_FALSE(pte_at(addr).load() & PTE_A);
}

TEST_CASE_METHOD(MmuFixture, "page tables outside RAM raise the access fault of the access type", "[cpu][mmu]")
{
    set_raw(csr::satp, (SATP_MODE_SV39 << SATP_MODE_SHIFT) | (0x1000'0000 >> 12));  // root in MMIO space
    uint64_t pa = 0;
    for (AccessType t : kAllTypes) {
        CHECK_FALSE(xlate(0x4000'0000, t, pa));
        CHECK(raised(access_fault_cause(t)));
        CHECK(h.trap_tval == 0x4000'0000);
    }
    // A next-level pointer that leaves RAM.
    set_raw(csr::satp, (SATP_MODE_SV39 << SATP_MODE_SHIFT) | (root >> 12));
    set_pte(0x4000'0000, 2, pte_for(kRamBase + kRamSize, PTE_V));
    CHECK_FALSE(xlate(0x4000'0000, AccessType::Load, pa));
    CHECK(raised(Exception::LoadAccessFault));
}

TEST_CASE_METHOD(MmuFixture, "A/D updates never lose a concurrent write to the same PTE", "[cpu][mmu][threads]")
{
    const uint64_t addr = map(0x4000'0000, kRamBase, 0, kLeafRWX);
    auto pte = pte_at(addr);
    constexpr uint64_t kPpnOne = uint64_t(1) << PTE_PPN_SHIFT;
    std::atomic<bool> started{false}, done{false};
    uint64_t increments = 0;
    // Another hart's software keeps rewriting the PTE (here: its PPN, +1 each time, with atomic
    // RMWs) while this hart's walks set A and D. A walk that stored its update without a
    // compare-and-swap would overwrite some increments.
    std::thread other([&] {
        started.store(true);
        while (!done.load(std::memory_order_relaxed)) {
            pte.fetch_add(kPpnOne);
            ++increments;
        }
    });
    while (!started.load()) {
    }
    uint64_t pa = 0;
    for (int i = 0; i < 50'000; ++i) {
        pte.fetch_and(~kAD);
        REQUIRE(xlate(0x4000'0000, AccessType::Store, pa));
    }
    done.store(true);
    other.join();
    CHECK(((pte.load() >> PTE_PPN_SHIFT) & PTE_PPN) == (kRamBase >> 12) + increments);
    CHECK((pte.load() & kAD) == kAD);
}
