// Memory accesses of the execution core (cpu/memory_access.h, cpu/tlb.h): misaligned and
// page-crossing accesses, access faults on unassigned addresses, MMIO through the dispatch path,
// AMOs, LR/SC success and failure, and the TLB's translation contexts under Sv39.
#include <catch2/catch.hpp>

#include "cpu/tlb.h"
#include "tests/cpu/core_fixture.h"

using namespace locklab::rv;
using namespace locklab::rv::test;
using namespace locklab::rv::test::enc;

namespace {
constexpr unsigned A = 5, B = 6, D = 7;
constexpr uint64_t kPageEnd = CoreFixture::kData + 0x1000;  // a RAM page boundary
}  // namespace

TEST_CASE_METHOD(CoreFixture, "misaligned loads and stores inside a page are performed", "[cpu][memory]")
{
    poke64(kData, 0x0807'0605'0403'0201);
    poke64(kData + 8, 0x100f'0e0d'0c0b'0a09);
    h.x[A] = kData;
    h.x[B] = 0xa1a2'a3a4'a5a6'a7a8;
    REQUIRE(run_program({lw(D, A, 1), ld(8, A, 3), lhu(9, A, 7), sd(B, A, 5)}) == RunExit::Wfi);
    REQUIRE(finished());
    CHECK(h.x[D] == 0x0504'0302);
    CHECK(h.x[8] == 0x0b0a'0908'0706'0504);
    CHECK(h.x[9] == 0x0908);
    CHECK(peek(kData) == 0xa6a7'a805'0403'0201);
    CHECK(peek(kData + 8) == 0x100f'0ea1'a2a3'a4a5);
}

TEST_CASE_METHOD(CoreFixture, "a misaligned access crossing a page boundary reaches both pages", "[cpu][memory]")
{
    h.x[A] = kPageEnd - 3;
    h.x[B] = 0x1122'3344'5566'7788;
    REQUIRE(run_program({sd(B, A, 0), ld(D, A, 0), lw(8, A, 1)}) == RunExit::Wfi);
    REQUIRE(finished());
    CHECK(peek(kPageEnd - 3, 3) == 0x667788);
    CHECK(peek(kPageEnd, 5) == 0x11'2233'4455);
    CHECK(h.x[D] == 0x1122'3344'5566'7788);
    CHECK(h.x[8] == 0x4455'6677);
}

TEST_CASE_METHOD(CoreFixture, "a page-crossing store whose second page faults stores nothing", "[cpu][memory]")
{
    // Sv39 in S-mode: the first page is writable, the next one is not mapped.
    const uint64_t va = 0x4000'0000;
    enter_supervisor_sv39(va, PTE_R | PTE_W | PTE_A | PTE_D);
    h.x[A] = va + 0xffc;
    h.x[B] = ~uint64_t(0);
    REQUIRE(run_program({sd(B, A, 0)}) == RunExit::Wfi);
    CHECK(trapped(Exception::StorePageFault));
    CHECK(csr(csr::mtval) == va + 0x1000);  // the address of the part that faulted
    CHECK(peek(kData + 0xffc, 4) == 0);
}

TEST_CASE_METHOD(CoreFixture, "accesses to unassigned addresses raise access faults with the address in mtval", "[cpu][memory]")
{
    h.x[A] = kUnassigned;
    SECTION("load")
    {
        REQUIRE(run_program({lw(D, A, 8)}) == RunExit::Wfi);
        CHECK(trapped(Exception::LoadAccessFault));
        CHECK(csr(csr::mtval) == kUnassigned + 8);
    }
    SECTION("store")
    {
        REQUIRE(run_program({sb(B, A, 3)}) == RunExit::Wfi);
        CHECK(trapped(Exception::StoreAccessFault));
        CHECK(csr(csr::mtval) == kUnassigned + 3);
    }
    SECTION("AMO")
    {
        REQUIRE(run_program({amo_d(Amo::ADD, D, A, B)}) == RunExit::Wfi);
        CHECK(trapped(Exception::StoreAccessFault));
    }
    SECTION("LR")
    {
        REQUIRE(run_program({lr_w(D, A)}) == RunExit::Wfi);
        CHECK(trapped(Exception::LoadAccessFault));
    }
    SECTION("instruction fetch")
    {
        h.x[A] = kUnassigned + 0x40;
        REQUIRE(run_program({jalr(0, A, 0)}) == RunExit::Wfi);
        CHECK(trapped(Exception::InsnAccessFault));
        CHECK(csr(csr::mepc) == kUnassigned + 0x40);
        CHECK(csr(csr::mtval) == kUnassigned + 0x40);
    }
    CHECK(h.x[D] == 0);  // a faulting instruction writes no register
}

// Regression (found by tests/difftest): the TLB's flag bits once sat in bits 0..1, so a misaligned
// access whose low address bits equalled a flag "hit" the fast path on a non-RAM page or an empty
// entry and dereferenced a bogus host pointer.
TEST_CASE_METHOD(CoreFixture, "misaligned accesses to cached non-RAM pages and empty TLB entries take the slow path", "[cpu][memory][tlb]")
{
    SECTION("unassigned page already in the TLB")
    {
        h.x[A] = kUnassigned;
        REQUIRE(run_program({lw(D, A, 0)}) == RunExit::Wfi);  // caches the page as non-RAM
        REQUIRE(trapped(Exception::LoadAccessFault));
        REQUIRE(run_program({lw(D, A, 2)}) == RunExit::Wfi);
        CHECK(trapped(Exception::LoadAccessFault));
        CHECK(csr(csr::mtval) == kUnassigned + 2);
        REQUIRE(run_program({sd(B, A, 8)}) == RunExit::Wfi);
        REQUIRE(trapped(Exception::StoreAccessFault));
        REQUIRE(run_program({sd(B, A, 2)}) == RunExit::Wfi);
        CHECK(trapped(Exception::StoreAccessFault));
        CHECK(csr(csr::mtval) == kUnassigned + 2);
    }
    SECTION("device page already in the TLB")
    {
        h.x[A] = kMmioBase;
        h.x[B] = 0x1122'3344'5566'7788;
        const int before = dev->callbacks();
        REQUIRE(run_program({sd(B, A, 0), lw(D, A, 2), lh(8, A, 1)}) == RunExit::Wfi);
        REQUIRE(finished());
        CHECK(dev->callbacks() > before + 2);  // every access went to the device
        CHECK(h.x[D] == 0x3344'5566);
        CHECK(h.x[8] == 0x6677);
    }
    SECTION("empty TLB entry of page 0")
    {
        h.x[A] = 0;
        REQUIRE(run_program({lh(D, A, 1)}) == RunExit::Wfi);
        CHECK(trapped(Exception::LoadAccessFault));
        CHECK(csr(csr::mtval) == 1);
    }
}

TEST_CASE_METHOD(CoreFixture, "MMIO accesses reach the device every time and are never cached as host memory", "[cpu][memory]")
{
    h.x[A] = kMmioBase;
    h.x[B] = 0x1234'5678;
    const int before = dev->callbacks();
    REQUIRE(run_program({sw(B, A, 8), lw(D, A, 8), lw(8, A, 8), lbu(9, A, 9)}) == RunExit::Wfi);
    REQUIRE(finished());
    CHECK(dev->callbacks() - before == 4);
    CHECK(h.x[D] == 0x1234'5678);
    CHECK(h.x[8] == 0x1234'5678);
    CHECK(h.x[9] == 0x56);
}

TEST_CASE_METHOD(CoreFixture, "AMOs return the old value and store the operation's result", "[cpu][memory]")
{
    struct Case {
        Amo op;
        uint64_t mem, operand, result;
    };
    // .D on 64-bit values.
    const Case dcases[] = {
        {Amo::SWAP, 5, 9, 9},
        {Amo::ADD, ~uint64_t(0), 2, 1},
        {Amo::XOR, 0b1100, 0b1010, 0b0110},
        {Amo::AND, 0b1100, 0b1010, 0b1000},
        {Amo::OR, 0b1100, 0b1010, 0b1110},
        {Amo::MIN, ~uint64_t(0), 1, ~uint64_t(0)},
        {Amo::MAX, ~uint64_t(0), 1, 1},
        {Amo::MINU, ~uint64_t(0), 1, 1},
        {Amo::MAXU, ~uint64_t(0), 1, ~uint64_t(0)},
    };
    for (const Case& c : dcases) {
        poke64(kData, c.mem);
        h.x[A] = kData;
        h.x[B] = c.operand;
        REQUIRE(run_program({amo_d(c.op, D, A, B)}) == RunExit::Wfi);
        CHECK(h.x[D] == c.mem);
        CHECK(peek(kData) == c.result);
    }
    // .W: 32-bit operation, the old value sign-extended into rd, the upper word untouched.
    const Case wcases[] = {
        {Amo::ADD, 0x7fff'ffff, 1, 0x8000'0000},
        {Amo::MIN, 0x8000'0000, 1, 0x8000'0000},
        {Amo::MAX, 0x8000'0000, 1, 1},
        {Amo::MINU, 0x8000'0000, 1, 1},
        {Amo::MAXU, 0x8000'0000, 1, 0x8000'0000},
        {Amo::SWAP, 0x8000'0000, 0xffff'ffff'0000'0007, 7},
    };
    for (const Case& c : wcases) {
        poke64(kData, 0xaaaa'aaaa'0000'0000 | c.mem);
        h.x[A] = kData;
        h.x[B] = c.operand;
        REQUIRE(run_program({amo_w(c.op, D, A, B)}) == RunExit::Wfi);
        CHECK(h.x[D] == uint64_t(int64_t(int32_t(c.mem))));
        CHECK(peek(kData) == (0xaaaa'aaaa'0000'0000 | c.result));
    }
}

TEST_CASE_METHOD(CoreFixture, "an AMO on MMIO is a read-modify-write through the device", "[cpu][memory]")
{
    h.x[A] = kMmioBase + 16;
    h.x[B] = 5;
    REQUIRE(run_program({sw(B, A, 0), amo_w(Amo::ADD, D, A, B), lw(8, A, 0)}) == RunExit::Wfi);
    REQUIRE(finished());
    CHECK(h.x[D] == 5);
    CHECK(h.x[8] == 10);
}

TEST_CASE_METHOD(CoreFixture, "misaligned LR raises load misaligned while misaligned SC and AMOs raise store misaligned", "[cpu][memory]")
{
    h.x[A] = kData + 2;
    SECTION("lr.w")
    {
        REQUIRE(run_program({lr_w(D, A)}) == RunExit::Wfi);
        CHECK(trapped(Exception::LoadMisaligned));
    }
    SECTION("lr.d at a 4-byte boundary")
    {
        h.x[A] = kData + 4;
        REQUIRE(run_program({lr_d(D, A)}) == RunExit::Wfi);
        CHECK(trapped(Exception::LoadMisaligned));
    }
    SECTION("sc.w")
    {
        REQUIRE(run_program({sc_w(D, A, B)}) == RunExit::Wfi);
        CHECK(trapped(Exception::StoreMisaligned));
    }
    SECTION("amoadd.w")
    {
        REQUIRE(run_program({amo_w(Amo::ADD, D, A, B)}) == RunExit::Wfi);
        CHECK(trapped(Exception::StoreMisaligned));
    }
    CHECK(csr(csr::mtval) == h.x[A]);
}

TEST_CASE_METHOD(CoreFixture, "sc succeeds once after lr to the same address", "[cpu][memory]")
{
    poke64(kData, 0xffff'ffff'8000'0000);
    h.x[A] = kData;
    h.x[B] = 42;
    REQUIRE(run_program({lr_w(D, A), sc_w(8, A, B), sc_w(9, A, B)}) == RunExit::Wfi);
    REQUIRE(finished());
    CHECK(h.x[D] == 0xffff'ffff'8000'0000);  // lr.w sign-extends
    CHECK(h.x[8] == 0);                      // success
    CHECK(h.x[9] == 1);                      // the reservation was used up
    CHECK(peek(kData) == 0xffff'ffff'0000'002a);
}

TEST_CASE_METHOD(CoreFixture, "sc fails when its address differs from the reservation", "[cpu][memory]")
{
    h.x[A] = kData;
    h.x[9] = kData + 8;
    h.x[B] = 42;
    REQUIRE(run_program({lr_d(D, A), sc_d(8, 9, B)}) == RunExit::Wfi);
    CHECK(h.x[8] == 1);
    CHECK(peek(kData + 8) == 0);
}

TEST_CASE_METHOD(CoreFixture, "sc fails when another hart changed the reserved word in between", "[cpu][memory]")
{
    poke64(kData, 7);
    h.x[A] = kData;
    h.x[B] = 42;
    REQUIRE(run_program({lr_d(D, A), wfi(), sc_d(8, A, B)}) == RunExit::Wfi);  // stops after lr
    poke64(kData, 8);  // what another hart's store looks like to this one
    REQUIRE(h.run(100) == RunExit::Wfi);
    REQUIRE(finished());
    CHECK(h.x[8] == 1);
    CHECK(peek(kData) == 8);
}

TEST_CASE_METHOD(CoreFixture, "a trap between lr and sc breaks the reservation", "[cpu][memory]")
{
    h.x[A] = kData;
    h.x[B] = 42;
    // The trap pad is a WFI after which execution continues: put the sc right behind it.
    load(kTrapPad + 4, {sc_d(8, A, B), wfi()});
    REQUIRE(run_program({lr_d(D, A), ecall()}) == RunExit::Wfi);
    REQUIRE(h.pc == kTrapPad + 4);
    REQUIRE(h.run(100) == RunExit::Wfi);
    CHECK(h.x[8] == 1);
    CHECK(peek(kData) == 0);
}

TEST_CASE_METHOD(CoreFixture, "sc on MMIO compares and writes through the device", "[cpu][memory]")
{
    h.x[A] = kMmioBase + 24;
    h.x[B] = 9;
    REQUIRE(run_program({lr_w(D, A), sc_w(8, A, B), lw(9, A, 0)}) == RunExit::Wfi);
    REQUIRE(finished());
    CHECK(h.x[8] == 0);
    CHECK(h.x[9] == 9);
}

TEST_CASE_METHOD(CoreFixture, "the TLB keeps user and supervisor translations apart without a flush", "[cpu][memory][tlb]")
{
    // A supervisor-only data page: S may load it; after a switch to U the same va must fault even
    // though S's translation is cached.
    const uint64_t va = 0x4000'0000;
    map(kCode, kCode, PTE_R | PTE_X | PTE_A | PTE_U);
    map(va, kData, PTE_R | PTE_W | PTE_A | PTE_D);
    enable_sv39();
    poke64(kData, 77);
    h.x[A] = va;
    set_priv(h, Priv::S);
    // S-mode code must not run from a U page: map a supervisor alias of the code for it.
    map(0x5000'0000, kCode, PTE_R | PTE_X | PTE_A);
    load(kCode, {ld(D, A, 0), wfi()});
    h.code_flush();
    h.pc = 0x5000'0000;
    REQUIRE(h.run(100) == RunExit::Wfi);
    REQUIRE(h.x[D] == 77);
    REQUIRE(h.pc == 0x5000'0008);

    set_priv(h, Priv::U);
    h.x[D] = 0;
    h.pc = kCode;
    REQUIRE(h.run(100) == RunExit::Wfi);
    CHECK(trapped(Exception::LoadPageFault));
    CHECK(csr(csr::mtval) == va);
    CHECK(h.x[D] == 0);
}

TEST_CASE_METHOD(CoreFixture, "a read-only page raises a store page fault and keeps its data", "[cpu][memory][tlb]")
{
    const uint64_t va = 0x4000'0000;
    enter_supervisor_sv39(va, PTE_R | PTE_A);
    poke64(kData, 5);
    h.x[A] = va;
    h.x[B] = 6;
    REQUIRE(run_program({ld(D, A, 0), sd(B, A, 0)}) == RunExit::Wfi);  // the load fills the TLB first
    CHECK(trapped(Exception::StorePageFault));
    CHECK(h.x[D] == 5);
    CHECK(peek(kData) == 5);
}

TEST_CASE_METHOD(CoreFixture, "sfence.vma makes a changed mapping visible", "[cpu][memory][tlb]")
{
    const uint64_t va = 0x4000'0000;
    enter_supervisor_sv39(va, PTE_R | PTE_A);
    poke64(kData, 1);
    poke64(kData + 0x1000, 2);
    h.x[A] = va;
    // load, remap va to the next page behind the hart's back, load (stale TLB), sfence.vma, load
    const uint32_t sfence_vma = 0x12000073;
    REQUIRE(run_program({ld(D, A, 0), wfi(), ld(8, A, 0), sfence_vma, ld(9, A, 0)}) == RunExit::Wfi);
    REQUIRE(h.x[D] == 1);
    // Behind the hart's back: its TLB still has the old page (not required by the spec, but it
    // shows the sfence.vma below is what makes the new mapping visible).
    map(va, kData + 0x1000, PTE_R | PTE_A);
    REQUIRE(h.run(100) == RunExit::Wfi);
    REQUIRE(finished());
    CHECK(h.x[8] == 1);
    CHECK(h.x[9] == 2);
}
