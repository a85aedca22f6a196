// Trap entry and return: delegation, the xstatus stack, xepc/xcause/xtval, direct and vectored
// trap vectors, interrupt priority and masking, mret/sret, TSR/TW/TVM, ecall/ebreak, WFI and
// sfence.vma.
#include <catch2/catch.hpp>

#include "tests/cpu/priv_fixture.h"

using namespace locklab::rv;
using namespace locklab::rv::test;

namespace {
constexpr uint64_t kMtvec = kRamBase + 0x1000;
constexpr uint64_t kStvec = kRamBase + 0x2000;
constexpr uint64_t kPc = kRamBase + 0x4442;
constexpr uint64_t kMret = 0x30200073, kSret = 0x10200073, kWfi = 0x10500073;

struct TrapFixture : PrivFixture {
    TrapFixture()
    {
        set_raw(csr::mtvec, kMtvec);
        set_raw(csr::stvec, kStvec);
        h.pc = kPc;
        h.next_pc = kPc + 4;
    }
    void raise_and_take(Exception e, uint64_t tval)
    {
        h.raise(e, tval);
        take_exception(h);
    }
    uint64_t interrupt_cause(Irq irq) const { return CAUSE_INTERRUPT | irq; }
};
}  // namespace

TEST_CASE_METHOD(TrapFixture, "an exception in M-mode traps to M and stacks MIE and MPP", "[cpu][trap]")
{
    set_raw(csr::mstatus, MSTATUS_MIE);
    set_raw(csr::medeleg, ~uint64_t(0));  // delegation never applies to traps taken in M-mode
    h.resv_addr = kRamBase;
    raise_and_take(Exception::LoadAccessFault, 0x1234);
    CHECK(h.priv == Priv::M);
    CHECK(h.pc == kMtvec);
    CHECK(h.next_pc == kMtvec);
    CHECK(raw(csr::mepc) == kPc);
    CHECK(raw(csr::mcause) == uint64_t(Exception::LoadAccessFault));
    CHECK(raw(csr::mtval) == 0x1234);
    const uint64_t ms = raw(csr::mstatus);
    CHECK_FALSE(ms & MSTATUS_MIE);
    CHECK(ms & MSTATUS_MPIE);
    CHECK(mstatus_mpp(ms) == Priv::M);
    CHECK(h.resv_addr == ~uint64_t(0));  // the LR reservation is broken
}

TEST_CASE_METHOD(TrapFixture, "a delegated exception from U-mode traps to S and stacks SIE and SPP", "[cpu][trap]")
{
    set_raw(csr::medeleg, bit(unsigned(Exception::StorePageFault)));
    set_raw(csr::mstatus, MSTATUS_SIE | MSTATUS_MIE);
    set_priv(h, Priv::U);
    raise_and_take(Exception::StorePageFault, 0xBAD0);
    CHECK(h.priv == Priv::S);
    CHECK(h.pc == kStvec);
    CHECK(raw(csr::sepc) == kPc);
    CHECK(raw(csr::scause) == uint64_t(Exception::StorePageFault));
    CHECK(raw(csr::stval) == 0xBAD0);
    CHECK(raw(csr::mepc) == 0);  // M-mode state untouched
    const uint64_t ms = raw(csr::mstatus);
    CHECK_FALSE(ms & MSTATUS_SIE);
    CHECK(ms & MSTATUS_SPIE);
    CHECK_FALSE(ms & MSTATUS_SPP);  // came from U
    CHECK(ms & MSTATUS_MIE);        // M stack untouched
}

TEST_CASE_METHOD(TrapFixture, "a delegated exception from S-mode records SPP = S", "[cpu][trap]")
{
    set_raw(csr::medeleg, bit(unsigned(Exception::IllegalInsn)));
    set_priv(h, Priv::S);
    raise_and_take(Exception::IllegalInsn, 0xFFFFFFFF);
    CHECK(h.priv == Priv::S);
    CHECK(raw(csr::mstatus) & MSTATUS_SPP);
    CHECK_FALSE(raw(csr::mstatus) & MSTATUS_SPIE);  // SIE was 0
    CHECK(raw(csr::stval) == 0xFFFFFFFF);
}

TEST_CASE_METHOD(TrapFixture, "an exception that is not delegated goes from S-mode to M with MPP = S", "[cpu][trap]")
{
    set_priv(h, Priv::S);
    raise_and_take(Exception::Breakpoint, kPc);
    CHECK(h.priv == Priv::M);
    CHECK(h.pc == kMtvec);
    CHECK(mstatus_mpp(raw(csr::mstatus)) == Priv::S);
    CHECK(raw(csr::mtval) == kPc);
}

TEST_CASE_METHOD(TrapFixture, "ecall reports the privilege it was executed in", "[cpu][trap]")
{
    set_raw(csr::medeleg, bit(unsigned(Exception::EcallU)));
    set_priv(h, Priv::U);
    CHECK_FALSE(exec_ecall(h));
    CHECK(raised(Exception::EcallU));
    CHECK(h.trap_tval == 0);
    take_exception(h);
    CHECK(h.priv == Priv::S);
    CHECK(raw(csr::scause) == 8);

    h.pc = kPc;
    CHECK_FALSE(exec_ecall(h));
    CHECK(raised(Exception::EcallS));
    take_exception(h);
    CHECK(h.priv == Priv::M);
    CHECK(raw(csr::mcause) == 9);

    CHECK_FALSE(exec_ecall(h));
    CHECK(raised(Exception::EcallM));
    take_exception(h);
    CHECK(raw(csr::mcause) == 11);
}

TEST_CASE_METHOD(TrapFixture, "ebreak raises a breakpoint with the pc in tval", "[cpu][trap]")
{
    CHECK_FALSE(exec_ebreak(h));
    CHECK(raised(Exception::Breakpoint));
    CHECK(h.trap_tval == kPc);
}

TEST_CASE_METHOD(TrapFixture, "vectored mode sends interrupts to base + 4 * cause and exceptions to base",
                 "[cpu][trap][irq]")
{
    set_raw(csr::mtvec, kMtvec | TVEC_VECTORED);
    raise_and_take(Exception::IllegalInsn, 0);
    CHECK(h.pc == kMtvec);

    set_priv(h, Priv::U);
    set_raw(csr::mie, MIP_MTIP);
    h.set_irq(IRQ_MTI, true);
    REQUIRE(take_pending_interrupt(h));
    CHECK(h.pc == kMtvec + 4 * IRQ_MTI);
    CHECK(raw(csr::mcause) == interrupt_cause(IRQ_MTI));
    CHECK(raw(csr::mtval) == 0);
}

TEST_CASE_METHOD(TrapFixture, "interrupts are taken in the order MEI MSI MTI SEI SSI STI", "[cpu][trap][irq]")
{
    set_raw(csr::mie, M_INTERRUPTS | S_INTERRUPTS);
    set_raw(csr::mip, MIP_SSIP | MIP_STIP);
    for (Irq irq : {IRQ_MEI, IRQ_MSI, IRQ_MTI, IRQ_SEI}) h.set_irq(irq, true);
    for (Irq expected : {IRQ_MEI, IRQ_MSI, IRQ_MTI, IRQ_SEI, IRQ_SSI, IRQ_STI}) {
        set_raw(csr::mstatus, MSTATUS_MIE);
        set_priv(h, Priv::M);
        h.pc = kPc;
        REQUIRE(take_pending_interrupt(h));
        CHECK(raw(csr::mcause) == interrupt_cause(expected));
        CHECK(raw(csr::mepc) == kPc);
        CHECK_FALSE(raw(csr::mstatus) & MSTATUS_MIE);
        // acknowledge: drop the line (devices) or the software bit
        if (expected == IRQ_SSI || expected == IRQ_STI) {
            csr_write_raw(h, csr::mip, raw(csr::mip) & ~bit(expected));
        } else {
            h.set_irq(expected, false);
        }
    }
    set_raw(csr::mstatus, MSTATUS_MIE);
    CHECK_FALSE(take_pending_interrupt(h));
}

TEST_CASE_METHOD(TrapFixture, "M-level interrupts are masked by MIE only in M-mode", "[cpu][trap][irq]")
{
    set_raw(csr::mie, MIP_MTIP);
    h.set_irq(IRQ_MTI, true);
    CHECK_FALSE(take_pending_interrupt(h));  // M-mode, MIE = 0
    CHECK(h.pc == kPc);
    set_priv(h, Priv::S);
    CHECK(take_pending_interrupt(h));  // lower privilege: always enabled
    CHECK(h.priv == Priv::M);
    CHECK(mstatus_mpp(raw(csr::mstatus)) == Priv::S);
}

TEST_CASE_METHOD(TrapFixture, "interrupts not enabled in mie stay pending", "[cpu][trap][irq]")
{
    set_priv(h, Priv::U);
    h.set_irq(IRQ_MEI, true);
    CHECK_FALSE(take_pending_interrupt(h));
    set_raw(csr::mie, MIP_MEIP);
    CHECK(take_pending_interrupt(h));
}

TEST_CASE_METHOD(TrapFixture, "delegated interrupts are never taken in M-mode and need SIE in S-mode",
                 "[cpu][trap][irq]")
{
    set_raw(csr::mideleg, MIP_STIP);
    set_raw(csr::mie, MIP_STIP);
    set_raw(csr::mip, MIP_STIP);
    set_raw(csr::mstatus, MSTATUS_MIE | MSTATUS_SIE);
    CHECK_FALSE(take_pending_interrupt(h));  // M-mode: delegated interrupts wait

    set_raw(csr::mstatus, 0);
    set_priv(h, Priv::S);
    CHECK_FALSE(take_pending_interrupt(h));  // S-mode with SIE = 0

    set_raw(csr::mstatus, MSTATUS_SIE);
    REQUIRE(take_pending_interrupt(h));
    CHECK(h.priv == Priv::S);
    CHECK(h.pc == kStvec);
    CHECK(raw(csr::scause) == interrupt_cause(IRQ_STI));
    CHECK(raw(csr::sepc) == kPc);
    CHECK(raw(csr::mstatus) & MSTATUS_SPIE);
    CHECK_FALSE(raw(csr::mstatus) & MSTATUS_SIE);

    set_priv(h, Priv::U);  // U-mode: taken whatever SIE says
    h.pc = kPc;
    REQUIRE(take_pending_interrupt(h));
    CHECK(h.priv == Priv::S);
    CHECK_FALSE(raw(csr::mstatus) & MSTATUS_SPP);
}

TEST_CASE_METHOD(TrapFixture, "an M-level interrupt wins over a delegated one of higher default priority",
                 "[cpu][trap][irq]")
{
    // SSI comes before STI in the default order, but only STI is handled in M-mode here.
    set_raw(csr::mideleg, MIP_SSIP);
    set_raw(csr::mie, MIP_SSIP | MIP_STIP);
    set_raw(csr::mip, MIP_SSIP | MIP_STIP);
    set_priv(h, Priv::S);
    set_raw(csr::mstatus, MSTATUS_SIE);
    REQUIRE(take_pending_interrupt(h));
    CHECK(h.priv == Priv::M);
    CHECK(raw(csr::mcause) == interrupt_cause(IRQ_STI));
}

TEST_CASE_METHOD(TrapFixture, "an S-level interrupt that is not delegated is handled in M-mode", "[cpu][trap][irq]")
{
    set_raw(csr::mie, MIP_SEIP);
    h.set_irq(IRQ_SEI, true);
    set_priv(h, Priv::S);
    REQUIRE(take_pending_interrupt(h));
    CHECK(h.priv == Priv::M);
    CHECK(raw(csr::mcause) == interrupt_cause(IRQ_SEI));
}

TEST_CASE_METHOD(TrapFixture, "mret restores the M stack and returns to mepc", "[cpu][trap][xret]")
{
    set_raw(csr::mepc, kRamBase + 0x500);
    set_raw(csr::mstatus, MSTATUS_MPIE | (uint64_t(1) << MSTATUS_MPP_SHIFT) | MSTATUS_MPRV);
    h.resv_addr = kRamBase;
    REQUIRE(exec_mret(h));
    CHECK(h.priv == Priv::S);
    CHECK(h.next_pc == kRamBase + 0x500);
    const uint64_t ms = raw(csr::mstatus);
    CHECK(ms & MSTATUS_MIE);
    CHECK(ms & MSTATUS_MPIE);
    CHECK(mstatus_mpp(ms) == Priv::U);
    CHECK_FALSE(ms & MSTATUS_MPRV);  // left M-mode
    CHECK(h.resv_addr == ~uint64_t(0));
}

TEST_CASE_METHOD(TrapFixture, "mret back to M-mode keeps MPRV", "[cpu][trap][xret]")
{
    set_raw(csr::mstatus, MSTATUS_MPP | MSTATUS_MPRV);
    REQUIRE(exec_mret(h));
    CHECK(h.priv == Priv::M);
    CHECK(raw(csr::mstatus) & MSTATUS_MPRV);
    CHECK_FALSE(raw(csr::mstatus) & MSTATUS_MIE);  // MPIE was 0
}

TEST_CASE_METHOD(TrapFixture, "mret is illegal below M-mode", "[cpu][trap][xret]")
{
    for (Priv p : {Priv::S, Priv::U}) {
        set_priv(h, p);
        clear_trap();
        CHECK_FALSE(exec_mret(h));
        CHECK(raised(Exception::IllegalInsn));
        CHECK(h.trap_tval == kMret);
        CHECK(h.priv == p);
    }
}

TEST_CASE_METHOD(TrapFixture, "sret restores the S stack, returns to sepc and clears MPRV", "[cpu][trap][xret]")
{
    set_raw(csr::sepc, kRamBase + 0x600);
    set_raw(csr::mstatus, MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_MPRV);
    REQUIRE(exec_sret(h));  // from M-mode: allowed
    CHECK(h.priv == Priv::S);
    CHECK(h.next_pc == kRamBase + 0x600);
    const uint64_t ms = raw(csr::mstatus);
    CHECK(ms & MSTATUS_SIE);
    CHECK(ms & MSTATUS_SPIE);
    CHECK_FALSE(ms & MSTATUS_SPP);
    CHECK_FALSE(ms & MSTATUS_MPRV);

    REQUIRE(exec_sret(h));  // SPP is now U
    CHECK(h.priv == Priv::U);
}

TEST_CASE_METHOD(TrapFixture, "sret is illegal in U-mode, and in S-mode when TSR is set", "[cpu][trap][xret]")
{
    set_priv(h, Priv::U);
    CHECK_FALSE(exec_sret(h));
    CHECK(raised(Exception::IllegalInsn));
    CHECK(h.trap_tval == kSret);

    set_raw(csr::mstatus, MSTATUS_TSR | MSTATUS_SPP);
    set_priv(h, Priv::S);
    clear_trap();
    CHECK_FALSE(exec_sret(h));
    CHECK(raised(Exception::IllegalInsn));

    set_priv(h, Priv::M);  // TSR does not restrict M-mode
    CHECK(exec_sret(h));
}

TEST_CASE_METHOD(TrapFixture, "WFI is illegal in U-mode and in S-mode with TW", "[cpu][trap][wfi]")
{
    set_priv(h, Priv::U);
    CHECK_FALSE(exec_wfi(h));
    CHECK(raised(Exception::IllegalInsn));
    CHECK(h.trap_tval == kWfi);

    set_raw(csr::mstatus, MSTATUS_TW);
    set_priv(h, Priv::S);
    CHECK_FALSE(exec_wfi(h));
    CHECK_FALSE(h.wfi);

    set_priv(h, Priv::M);  // TW does not restrict M-mode
    CHECK(exec_wfi(h));
    CHECK(h.wfi);
}

TEST_CASE_METHOD(TrapFixture, "WFI waits in S-mode without TW", "[cpu][trap][wfi]")
{
    set_priv(h, Priv::S);
    CHECK(exec_wfi(h));
    CHECK(h.wfi);
}

TEST_CASE_METHOD(TrapFixture, "WFI completes as a no-op when an enabled interrupt is pending, even with MIE = 0",
                 "[cpu][trap][wfi]")
{
    set_raw(csr::mie, MIP_MTIP);
    h.set_irq(IRQ_MTI, true);
    REQUIRE(exec_wfi(h));
    CHECK_FALSE(h.wfi);
    CHECK_FALSE(take_pending_interrupt(h));  // MIE = 0: execution simply continues
}

TEST_CASE_METHOD(TrapFixture, "sfence.vma is illegal in U-mode and in S-mode with TVM", "[cpu][trap][mmu]")
{
    const uint32_t bits = 0x12000073;  // sfence.vma zero, zero
    const DecodedInsn d = decode(bits);
    REQUIRE(d.op == Op::SFENCE_VMA);
    set_priv(h, Priv::U);
    CHECK_FALSE(exec_sfence_vma(h, d));
    CHECK(raised(Exception::IllegalInsn));
    CHECK(h.trap_tval == bits);

    set_priv(h, Priv::S);
    CHECK(exec_sfence_vma(h, d));
    set_raw(csr::mstatus, MSTATUS_TVM);
    CHECK_FALSE(exec_sfence_vma(h, d));
    set_priv(h, Priv::M);
    CHECK(exec_sfence_vma(h, d));
}
