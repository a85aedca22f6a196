// What the privileged code must tell the execution core's TLB: every change of satp, SUM, MXR,
// privilege, MPRV or MPP, and sfence.vma, takes effect for the very next access even when the old
// translation is cached. Checked through the data path the interpreter uses (cpu/memory_access.h).
#include <catch2/catch.hpp>

#include "cpu/memory_access.h"
#include "tests/cpu/mmu_fixture.h"

using namespace locklab::rv;
using namespace locklab::rv::test;

namespace {

constexpr uint64_t kVa = 0x4000'1000;
constexpr uint64_t kPageA = kRamBase + 0x20'0000, kPageB = kRamBase + 0x30'0000;

struct ModeChangeFixture : MmuFixture {
    ModeChangeFixture()
    {
        poke(kPageA, 0xAAAA);
        poke(kPageB, 0xBBBB);
    }
    void poke(uint64_t pa, uint64_t v) { pte_at(pa).store(v); }
    // A load through the TLB; returns the value, or ~0 after a page fault (which is checked).
    uint64_t peek(uint64_t va)
    {
        clear_trap();
        uint64_t v = 0;
        if (load<uint64_t>(h, va, v)) return v;
        CHECK(raised(Exception::LoadPageFault));
        return ~uint64_t(0);
    }
    void set_sstatus(uint64_t bits) { REQUIRE(csr(CsrOp::RS, 0, reg(bits), csr::sstatus)); }
    void clear_sstatus(uint64_t bits) { REQUIRE(csr(CsrOp::RC, 0, reg(bits), csr::sstatus)); }
    unsigned reg(uint64_t v)
    {
        h.x[7] = v;
        return 7;
    }
};

}  // namespace

TEST_CASE_METHOD(ModeChangeFixture, "a satp write switches to the new page tables at once", "[cpu][mmu][tlb]")
{
    map(kVa, kPageA, 0, PTE_V | PTE_R | kAD);
    CHECK(peek(kVa) == 0xAAAA);
    root = alloc_table();
    map(kVa, kPageB, 0, PTE_V | PTE_R | kAD);
    REQUIRE(csrw(csr::satp, (SATP_MODE_SV39 << SATP_MODE_SHIFT) | (root >> 12)));
    CHECK(peek(kVa) == 0xBBBB);
}

TEST_CASE_METHOD(ModeChangeFixture, "sfence.vma makes a changed PTE visible", "[cpu][mmu][tlb]")
{
    const uint64_t pte = map(kVa, kPageA, 0, PTE_V | PTE_R | kAD);
    CHECK(peek(kVa) == 0xAAAA);
    pte_at(pte).store(pte_for(kPageB, PTE_V | PTE_R | kAD));
    REQUIRE(exec_sfence_vma(h, decode(0x12000073)));
    CHECK(peek(kVa) == 0xBBBB);
}

TEST_CASE_METHOD(ModeChangeFixture, "clearing SUM revokes S-mode access to a cached user page", "[cpu][mmu][tlb]")
{
    map(kVa, kPageA, 0, PTE_V | PTE_R | PTE_U | kAD);
    set_sstatus(MSTATUS_SUM);
    CHECK(peek(kVa) == 0xAAAA);
    clear_sstatus(MSTATUS_SUM);
    CHECK(peek(kVa) == ~uint64_t(0));
}

TEST_CASE_METHOD(ModeChangeFixture, "clearing MXR revokes loads from a cached execute-only page", "[cpu][mmu][tlb]")
{
    map(kVa, kPageA, 0, PTE_V | PTE_X | kAD);
    set_sstatus(MSTATUS_MXR);
    CHECK(peek(kVa) == 0xAAAA);
    clear_sstatus(MSTATUS_MXR);
    CHECK(peek(kVa) == ~uint64_t(0));
}

TEST_CASE_METHOD(ModeChangeFixture, "a trap into S-mode stops using U-mode's cached translations", "[cpu][mmu][tlb]")
{
    map(kVa, kPageA, 0, PTE_V | PTE_R | PTE_U | kAD);
    set_raw(csr::medeleg, bit(unsigned(Exception::EcallU)));
    set_priv(h, Priv::U);
    CHECK(peek(kVa) == 0xAAAA);
    exec_ecall(h);
    take_exception(h);
    REQUIRE(h.priv == Priv::S);
    CHECK(peek(kVa) == ~uint64_t(0));  // S-mode, SUM = 0
}

TEST_CASE_METHOD(ModeChangeFixture, "M-mode loads follow MPRV and MPP as soon as mstatus changes", "[cpu][mmu][tlb]")
{
    map(kVa, kPageA, 0, PTE_V | PTE_R | PTE_U | kAD);
    set_priv(h, Priv::M);
    CHECK(peek(kPageB) == 0xBBBB);  // physical
    REQUIRE(csrw(csr::mstatus, MSTATUS_MPRV));  // MPP = U
    CHECK(peek(kVa) == 0xAAAA);
    REQUIRE(csrw(csr::mstatus, MSTATUS_MPRV | (uint64_t(1) << MSTATUS_MPP_SHIFT)));  // MPP = S, SUM = 0
    CHECK(peek(kVa) == ~uint64_t(0));
    REQUIRE(csrw(csr::mstatus, 0));
    CHECK(peek(kPageB) == 0xBBBB);  // physical again
}
