// CSR behaviour: identification registers, mstatus/sstatus WARL fields, delegation and interrupt
// registers, trap-vector and epc legalisation, satp, the Zicsr read/write rules and CSR privilege.
#include <catch2/catch.hpp>

#include "tests/cpu/priv_fixture.h"

using namespace locklab::rv;
using namespace locklab::rv::test;

TEST_CASE_METHOD(PrivFixture, "misa reports RV64 with A C I M S U and ignores writes", "[cpu][csr]")
{
    const uint64_t expected = (uint64_t(2) << 62) | bit('A' - 'A') | bit('C' - 'A') | bit('I' - 'A') |
                              bit('M' - 'A') | bit('S' - 'A') | bit('U' - 'A');
    CHECK(csrr(csr::misa) == expected);
    CHECK(csrw(csr::misa, 0));  // WARL: a legal write that changes nothing
    CHECK(csrr(csr::misa) == expected);
}

TEST_CASE_METHOD(PrivFixture, "machine information registers are read-only", "[cpu][csr]")
{
    auto h2 = std::make_unique<Hart>(5, as);
    reset_csrs(*h2);
    uint64_t v = 0;
    REQUIRE(csr_read_raw(*h2, csr::mhartid, v));
    CHECK(v == 5);
    for (uint16_t n : {csr::mvendorid, csr::marchid, csr::mimpid, csr::mconfigptr}) {
        CHECK(csrr(n) == 0);
    }
    for (uint16_t n : {csr::mvendorid, csr::marchid, csr::mimpid, csr::mhartid, csr::mconfigptr}) {
        clear_trap();
        CHECK_FALSE(csrw(n, 1));
        CHECK(raised(Exception::IllegalInsn));
        CHECK(h.trap_tval == csr_insn(CsrOp::RW, 0, 6, n));
        CHECK_FALSE(csr_write_raw(h, n, 1));
    }
    CHECK(csrr(csr::mhartid) == 0);
}

TEST_CASE_METHOD(PrivFixture, "mstatus keeps UXL and SXL at 64 bits and FS XS VS SD at zero", "[cpu][csr]")
{
    CHECK(csrr(csr::mstatus) == MSTATUS_XL_64);
    REQUIRE(csrw(csr::mstatus, ~uint64_t(0)));
    const uint64_t v = csrr(csr::mstatus);
    CHECK((v & (MSTATUS_UXL | MSTATUS_SXL)) == MSTATUS_XL_64);
    CHECK((v & (MSTATUS_FS | MSTATUS_XS | MSTATUS_VS | MSTATUS_SD | MSTATUS_UBE)) == 0);
    const uint64_t writable = MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP |
                              MSTATUS_MPP | MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM |
                              MSTATUS_TW | MSTATUS_TSR;
    CHECK(v == (writable | MSTATUS_XL_64));
    REQUIRE(csrw(csr::mstatus, 0));
    CHECK(csrr(csr::mstatus) == MSTATUS_XL_64);
}

TEST_CASE_METHOD(PrivFixture, "mstatus.MPP ignores the reserved value 2", "[cpu][csr]")
{
    REQUIRE(csrw(csr::mstatus, uint64_t(1) << MSTATUS_MPP_SHIFT));
    CHECK(mstatus_mpp(csrr(csr::mstatus)) == Priv::S);
    REQUIRE(csrw(csr::mstatus, (uint64_t(2) << MSTATUS_MPP_SHIFT) | MSTATUS_MIE));
    CHECK(mstatus_mpp(csrr(csr::mstatus)) == Priv::S);   // kept
    CHECK(csrr(csr::mstatus) & MSTATUS_MIE);              // the rest of the write happened
    REQUIRE(csrw(csr::mstatus, uint64_t(3) << MSTATUS_MPP_SHIFT));
    CHECK(mstatus_mpp(csrr(csr::mstatus)) == Priv::M);
}

TEST_CASE_METHOD(PrivFixture, "sstatus shows and writes only the supervisor fields of mstatus", "[cpu][csr]")
{
    REQUIRE(csrw(csr::mstatus, MSTATUS_MIE | MSTATUS_MPP | MSTATUS_TVM | MSTATUS_SIE | MSTATUS_SUM));
    CHECK(csrr(csr::sstatus) == (MSTATUS_SIE | MSTATUS_SUM | (uint64_t(2) << 32)));
    REQUIRE(csrw(csr::sstatus, MSTATUS_SPP | MSTATUS_MXR | MSTATUS_SPIE));  // MIE, MPP bits in value: none
    const uint64_t m = csrr(csr::mstatus);
    CHECK((m & (MSTATUS_MIE | MSTATUS_MPP | MSTATUS_TVM)) == (MSTATUS_MIE | MSTATUS_MPP | MSTATUS_TVM));
    CHECK((m & (MSTATUS_SIE | MSTATUS_SUM)) == 0);
    CHECK((m & (MSTATUS_SPP | MSTATUS_MXR | MSTATUS_SPIE)) == (MSTATUS_SPP | MSTATUS_MXR | MSTATUS_SPIE));
    REQUIRE(csrw(csr::sstatus, MSTATUS_MIE | MSTATUS_TSR | MSTATUS_MPRV));  // not writable via sstatus
    CHECK((csrr(csr::mstatus) & (MSTATUS_TSR | MSTATUS_MPRV)) == 0);
}

TEST_CASE_METHOD(PrivFixture, "medeleg cannot delegate an ecall from M-mode", "[cpu][csr]")
{
    REQUIRE(csrw(csr::medeleg, ~uint64_t(0)));
    const uint64_t v = csrr(csr::medeleg);
    CHECK_FALSE(v & bit(unsigned(Exception::EcallM)));
    for (Exception e : {Exception::InsnMisaligned, Exception::IllegalInsn, Exception::Breakpoint,
                        Exception::EcallU, Exception::EcallS, Exception::InsnPageFault,
                        Exception::LoadPageFault, Exception::StorePageFault}) {
        CHECK(v & bit(unsigned(e)));
    }
    CHECK((v >> 16) == 0);  // no such exceptions
}

TEST_CASE_METHOD(PrivFixture, "mideleg delegates only supervisor interrupts", "[cpu][csr]")
{
    REQUIRE(csrw(csr::mideleg, ~uint64_t(0)));
    CHECK(csrr(csr::mideleg) == S_INTERRUPTS);
}

TEST_CASE_METHOD(PrivFixture, "sie is the delegated part of mie", "[cpu][csr]")
{
    REQUIRE(csrw(csr::mie, ~uint64_t(0)));
    CHECK(csrr(csr::mie) == (S_INTERRUPTS | M_INTERRUPTS));
    CHECK(csrr(csr::sie) == 0);  // nothing delegated
    REQUIRE(csrw(csr::mideleg, MIP_STIP));
    CHECK(csrr(csr::sie) == MIP_STIP);
    REQUIRE(csrw(csr::sie, 0));  // clears only the delegated bit
    CHECK(csrr(csr::mie) == ((S_INTERRUPTS | M_INTERRUPTS) & ~MIP_STIP));
    REQUIRE(csrw(csr::sie, ~uint64_t(0)));
    CHECK(csrr(csr::mie) == (S_INTERRUPTS | M_INTERRUPTS));
}

TEST_CASE_METHOD(PrivFixture, "software writes only SSIP STIP SEIP in mip; device lines are read-only",
                 "[cpu][csr][irq]")
{
    h.set_irq(IRQ_MTI, true);
    h.set_irq(IRQ_MSI, true);
    REQUIRE(csrw(csr::mip, 0));  // cannot clear device lines
    CHECK(csrr(csr::mip) == (MIP_MTIP | MIP_MSIP));
    REQUIRE(csrw(csr::mip, ~uint64_t(0)));  // cannot raise MEIP either
    CHECK(csrr(csr::mip) == (MIP_MTIP | MIP_MSIP | S_INTERRUPTS));
    h.set_irq(IRQ_MTI, false);
    CHECK(csrr(csr::mip) == (MIP_MSIP | S_INTERRUPTS));
}

TEST_CASE_METHOD(PrivFixture, "csrrc on mip changes only the bits named in rs1", "[cpu][csr][irq]")
{
    REQUIRE(csrw(csr::mip, MIP_SSIP | MIP_STIP));
    h.set_irq(IRQ_SEI, true);
    h.x[7] = MIP_SSIP;
    REQUIRE(csr(CsrOp::RC, 0, 7, csr::mip));
    CHECK(csrr(csr::mip) == (MIP_STIP | MIP_SEIP));
}

TEST_CASE_METHOD(PrivFixture, "sip exposes delegated interrupts and lets S-mode write only SSIP",
                 "[cpu][csr][irq]")
{
    REQUIRE(csrw(csr::mip, MIP_SSIP | MIP_STIP));
    CHECK(csrr(csr::sip) == 0);
    REQUIRE(csrw(csr::sip, 0));  // SSIP not delegated: no effect
    CHECK(csrr(csr::mip) == (MIP_SSIP | MIP_STIP));

    REQUIRE(csrw(csr::mideleg, S_INTERRUPTS));
    set_priv(h, Priv::S);
    CHECK(csrr(csr::sip) == (MIP_SSIP | MIP_STIP));
    REQUIRE(csrw(csr::sip, 0));
    CHECK(raw(csr::mip) == MIP_STIP);  // STIP is not writable through sip
    REQUIRE(csrw(csr::sip, MIP_SSIP | MIP_SEIP));
    CHECK(raw(csr::mip) == (MIP_STIP | MIP_SSIP));
}

TEST_CASE_METHOD(PrivFixture, "mtvec and stvec accept direct and vectored modes and ignore reserved ones",
                 "[cpu][csr]")
{
    for (uint16_t n : {csr::mtvec, csr::stvec}) {
        REQUIRE(csrw(n, kRamBase + 0x100));
        CHECK(csrr(n) == kRamBase + 0x100);
        REQUIRE(csrw(n, kRamBase + 0x201));
        CHECK(csrr(n) == kRamBase + 0x201);
        REQUIRE(csrw(n, kRamBase + 0x302));  // mode 2: reserved, whole write ignored
        CHECK(csrr(n) == kRamBase + 0x201);
        REQUIRE(csrw(n, kRamBase + 0x403));
        CHECK(csrr(n) == kRamBase + 0x201);
    }
}

TEST_CASE_METHOD(PrivFixture, "mepc and sepc always have bit 0 clear", "[cpu][csr]")
{
    for (uint16_t n : {csr::mepc, csr::sepc}) {
        REQUIRE(csrw(n, 0x80001237));
        CHECK(csrr(n) == 0x80001236);  // bit 1 stays: the C extension allows 2-byte alignment
    }
}

TEST_CASE_METHOD(PrivFixture, "scratch, cause and tval registers hold any value", "[cpu][csr]")
{
    for (uint16_t n : {csr::mscratch, csr::sscratch, csr::mcause, csr::scause, csr::mtval, csr::stval}) {
        REQUIRE(csrw(n, 0xDEAD'BEEF'CAFE'F00D));
        CHECK(csrr(n) == 0xDEAD'BEEF'CAFE'F00D);
    }
}

TEST_CASE_METHOD(PrivFixture, "satp accepts Bare and Sv39 and ignores writes of other modes", "[cpu][csr][mmu]")
{
    const uint64_t sv39 = (SATP_MODE_SV39 << SATP_MODE_SHIFT) | (uint64_t(7) << 44) | 0x80042;
    REQUIRE(csrw(csr::satp, sv39));
    CHECK(csrr(csr::satp) == sv39);
    REQUIRE(csrw(csr::satp, (uint64_t(9) << SATP_MODE_SHIFT) | 0x1234));  // Sv48: not supported
    CHECK(csrr(csr::satp) == sv39);
    REQUIRE(csrw(csr::satp, (uint64_t(1) << SATP_MODE_SHIFT) | 0x1234));  // reserved mode
    CHECK(csrr(csr::satp) == sv39);
    REQUIRE(csrw(csr::satp, 0));
    CHECK(csrr(csr::satp) == 0);
}

TEST_CASE_METHOD(PrivFixture, "mstatus.TVM makes satp illegal in S-mode only", "[cpu][csr][mmu]")
{
    REQUIRE(csrw(csr::mstatus, MSTATUS_TVM));
    REQUIRE(csrw(csr::satp, 0));  // M-mode: unaffected
    set_priv(h, Priv::S);
    uint64_t v = 0;
    CHECK_FALSE(csrr(csr::satp, v));
    CHECK(raised(Exception::IllegalInsn));
    CHECK_FALSE(csrw(csr::satp, 0));
    set_priv(h, Priv::M);
    REQUIRE(csrw(csr::mstatus, 0));
    set_priv(h, Priv::S);
    CHECK(csrw(csr::satp, SATP_MODE_SV39 << SATP_MODE_SHIFT));
}

TEST_CASE_METHOD(PrivFixture, "CSR privilege comes from address bits 9:8", "[cpu][csr]")
{
    set_priv(h, Priv::S);
    uint64_t v = 0;
    CHECK(csrr(csr::sstatus, v));
    clear_trap();
    CHECK_FALSE(csrr(csr::mstatus, v));
    CHECK(raised(Exception::IllegalInsn));
    CHECK(h.trap_tval == csr_insn(CsrOp::RS, 5, 0, csr::mstatus));
    CHECK_FALSE(csrr(csr::pmpaddr0, v));
    set_priv(h, Priv::U);
    CHECK_FALSE(csrr(csr::sstatus, v));
    CHECK_FALSE(csrw(csr::sscratch, 1));
    CHECK(raised(Exception::IllegalInsn));
}

TEST_CASE_METHOD(PrivFixture, "a failed CSR instruction changes neither the CSR nor rd", "[cpu][csr]")
{
    set_priv(h, Priv::S);
    h.x[5] = 77;
    h.x[6] = 0x1234;
    CHECK_FALSE(csr(CsrOp::RW, 5, 6, csr::mscratch));
    CHECK(h.x[5] == 77);
    CHECK(raw(csr::mscratch) == 0);
}

TEST_CASE_METHOD(PrivFixture, "set and clear with rs1 = x0 or uimm = 0 do not write, so read-only CSRs allow them",
                 "[cpu][csr]")
{
    CHECK(csr(CsrOp::RS, 5, 0, csr::mhartid));
    CHECK(csr(CsrOp::RC, 5, 0, csr::mhartid));
    CHECK(csr(CsrOp::RSI, 5, 0, csr::mhartid));
    CHECK(csr(CsrOp::RCI, 5, 0, csr::mhartid));
    h.x[7] = 0;  // a register holding zero is still a write
    CHECK_FALSE(csr(CsrOp::RS, 5, 7, csr::mhartid));
    CHECK_FALSE(csr(CsrOp::RCI, 5, 1, csr::mhartid));
    CHECK_FALSE(csr(CsrOp::RWI, 0, 0, csr::mhartid));
}

TEST_CASE_METHOD(PrivFixture, "the six CSR instructions read the old value and write the new one", "[cpu][csr]")
{
    set_raw(csr::mscratch, 0xF0);
    h.x[7] = 0x0F;
    REQUIRE(csr(CsrOp::RS, 5, 7, csr::mscratch));
    CHECK(h.x[5] == 0xF0);
    CHECK(raw(csr::mscratch) == 0xFF);
    h.x[7] = 0x3C;
    REQUIRE(csr(CsrOp::RC, 5, 7, csr::mscratch));
    CHECK(h.x[5] == 0xFF);
    CHECK(raw(csr::mscratch) == 0xC3);
    h.x[7] = 0x1234;
    REQUIRE(csr(CsrOp::RW, 5, 7, csr::mscratch));
    CHECK(h.x[5] == 0xC3);
    CHECK(raw(csr::mscratch) == 0x1234);
    REQUIRE(csr(CsrOp::RWI, 5, 31, csr::mscratch));
    CHECK(h.x[5] == 0x1234);
    CHECK(raw(csr::mscratch) == 31);
    REQUIRE(csr(CsrOp::RSI, 5, 31, csr::mscratch));  // bits already set: unchanged
    CHECK(raw(csr::mscratch) == 31);
    REQUIRE(csr(CsrOp::RCI, 5, 3, csr::mscratch));
    CHECK(h.x[5] == 31);
    CHECK(raw(csr::mscratch) == 28);
    REQUIRE(csr(CsrOp::RW, 0, 0, csr::mscratch));  // csrw mscratch, zero with rd = x0
    CHECK(raw(csr::mscratch) == 0);
    CHECK(h.x[0] == 0);
}

TEST_CASE_METHOD(PrivFixture, "CSRs this hart does not implement are illegal instructions", "[cpu][csr]")
{
    // fcsr (no F), tselect (no triggers), pmpcfg1 (RV32 only), cycleh (RV32 only), hstatus (no H),
    // 0xB01 (no such counter), mseccfg
    for (uint16_t n : {0x003, 0x7A0, 0x3A1, 0xC80, 0x600, 0xB01, 0x747}) {
        clear_trap();
        uint64_t v = 0;
        CHECK_FALSE(csrr(n, v));
        CHECK(raised(Exception::IllegalInsn));
        CHECK_FALSE(csr_read_raw(h, n, v));
        CHECK_FALSE(csr_write_raw(h, n, 0));
    }
}

TEST_CASE_METHOD(PrivFixture, "PMP CSRs exist with zero entries: they read 0 and ignore writes", "[cpu][csr]")
{
    for (uint16_t n : {csr::pmpcfg0, uint16_t(csr::pmpcfg0 + 14), csr::pmpaddr0, csr::pmpaddr63}) {
        CHECK(csrw(n, ~uint64_t(0)));
        CHECK(csrr(n) == 0);
    }
}

TEST_CASE_METHOD(PrivFixture, "menvcfg and senvcfg keep only FIOM", "[cpu][csr]")
{
    for (uint16_t n : {csr::menvcfg, csr::senvcfg}) {
        REQUIRE(csrw(n, ~uint64_t(0)));
        CHECK(csrr(n) == 1);
    }
}

TEST_CASE_METHOD(PrivFixture, "csr_write_raw refuses read-only and unknown CSRs and writes the rest as M-mode",
                 "[cpu][csr]")
{
    CHECK_FALSE(csr_write_raw(h, csr::cycle, 1));
    CHECK_FALSE(csr_write_raw(h, 0x7A0, 1));
    set_priv(h, Priv::U);
    CHECK(csr_write_raw(h, csr::mscratch, 9));  // no privilege check
    CHECK(raw(csr::mscratch) == 9);
    CHECK(csr_write_raw(h, csr::mideleg, ~uint64_t(0)));
    CHECK(raw(csr::mideleg) == S_INTERRUPTS);  // same WARL rules as an M-mode write
}

TEST_CASE("CSR names follow the specification's spelling", "[cpu][csr]")
{
    CHECK(csr_name(csr::mstatus) == "mstatus");
    CHECK(csr_name(csr::satp) == "satp");
    CHECK(csr_name(0xC07) == "hpmcounter7");
    CHECK(csr_name(0xB1F) == "mhpmcounter31");
    CHECK(csr_name(0x323) == "mhpmevent3");
    CHECK(csr_name(0x3A2) == "pmpcfg2");
    CHECK(csr_name(0x3A1).empty());
    CHECK(csr_name(0x3EF) == "pmpaddr63");
    CHECK(csr_name(0x7A0).empty());
}
