// The interpreter (cpu/interpreter.cpp, Hart::run and the cross-thread interface of Hart): instret
// exactness, budgets, exit requests, interrupts, WFI, self-modifying code with fence.i, blocks at
// page boundaries and in MMIO, long blocks and loops, tracing hooks.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>
#include <vector>

#include "cpu/block_cache.h"
#include "tests/cpu/core_fixture.h"

using namespace locklab::rv;
using namespace locklab::rv::test;
using namespace locklab::rv::test::enc;

namespace {
constexpr unsigned RA = 1, T0 = 5, T1 = 6, T2 = 7, T3 = 28;
}  // namespace

TEST_CASE_METHOD(CoreFixture, "instret is exact when a CSR instruction reads it", "[cpu][interp]")
{
    // 1 + 3 * 10 instructions in a chained loop, then two nops, then the read.
    REQUIRE(run_program({addi(T0, 0, 10), addi(T2, T2, 1), addi(T0, T0, -1), bne(T0, 0, -8), nop(), nop(),
                         csrrs(T1, csr::minstret, 0)}) == RunExit::Wfi);
    REQUIRE(finished());
    CHECK(h.x[T1] == 1 + 3 * 10 + 2);
    CHECK(h.instret == 1 + 3 * 10 + 2 + 1 + 1);  // the read and the final WFI retired too
}

TEST_CASE_METHOD(CoreFixture, "a trap counts only the instructions retired before the faulting one", "[cpu][interp]")
{
    h.x[T0] = kUnassigned;
    REQUIRE(run_program({nop(), nop(), nop(), lw(T1, T0, 0), nop()}) == RunExit::Wfi);
    REQUIRE(trapped(Exception::LoadAccessFault));
    CHECK(csr(csr::mepc) == kCode + 12);
    CHECK(h.instret == 3 + 1);  // three nops, then the trap pad's WFI
}

TEST_CASE_METHOD(CoreFixture, "run returns after its budget of instructions", "[cpu][interp]")
{
    poke32(kCode, jal(0, 0));  // j .
    h.pc = kCode;
    CHECK(h.run(1000) == RunExit::BudgetDone);
    CHECK(h.instret == 1000);  // one-instruction blocks: exactly the budget
    CHECK(h.pc == kCode);
    CHECK(h.run(500) == RunExit::BudgetDone);
    CHECK(h.instret == 1500);
}

TEST_CASE_METHOD(CoreFixture, "a budget ends a run at a block boundary and never inside a block", "[cpu][interp]")
{
    // A 6-instruction loop body: the run may overshoot the budget by less than one block.
    REQUIRE(run_program({addi(T2, T2, 1), addi(T2, T2, 1), addi(T2, T2, 1), addi(T2, T2, 1), addi(T2, T2, 1),
                         jal(0, -20)}, 100) == RunExit::BudgetDone);
    CHECK(h.instret >= 100);
    CHECK(h.instret < 106);
    CHECK(h.instret % 6 == 0);
    CHECK(h.x[T2] == h.instret / 6 * 5);
}

TEST_CASE_METHOD(CoreFixture, "kick makes the next run return before executing anything", "[cpu][interp]")
{
    poke32(kCode, jal(0, 0));
    h.pc = kCode;
    h.kick();
    CHECK(h.run(1000) == RunExit::ExitRequest);
    CHECK(h.instret == 0);
    CHECK(h.run(1000) == RunExit::BudgetDone);
}

TEST_CASE_METHOD(CoreFixture, "an interrupt raised from another thread is taken by the running hart", "[cpu][interp]")
{
    set_csr(csr::mie, MIP_MTIP);
    set_csr(csr::mstatus, MSTATUS_MIE);
    poke32(kCode, jal(0, 0));
    h.pc = kCode;
    std::thread device([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        h.set_irq(IRQ_MTI, true);
    });
    const RunExit exit = h.run(~uint64_t(0));
    device.join();
    CHECK(exit == RunExit::ExitRequest);
    CHECK(h.pc == kTrapPad);
    CHECK(csr(csr::mcause) == (CAUSE_INTERRUPT | IRQ_MTI));
    CHECK(csr(csr::mepc) == kCode);
}

TEST_CASE_METHOD(CoreFixture, "a CSR write that enables a pending interrupt takes it before the next instruction", "[cpu][interp]")
{
    set_csr(csr::mie, MIP_MSIP);
    h.mip.fetch_or(MIP_MSIP);  // pending but masked by mstatus.MIE = 0
    h.x[T0] = MSTATUS_MIE;
    load(kTrapPad, {csrrw(0, csr::mie, 0), wfi()});  // the handler masks the interrupt, then waits
    REQUIRE(run_program({nop(), csrrs(0, csr::mstatus, T0), addi(T2, 0, 1)}) == RunExit::Wfi);
    CHECK(h.pc == kTrapPad + 8);
    CHECK(csr(csr::mcause) == (CAUSE_INTERRUPT | IRQ_MSI));
    CHECK(csr(csr::mepc) == kCode + 8);
    CHECK(h.x[T2] == 0);
}

TEST_CASE_METHOD(CoreFixture, "WFI returns Wfi and the waiting thread wakes on an interrupt from another thread", "[cpu][interp]")
{
    set_csr(csr::mie, MIP_MSIP);  // enabled in mie, but mstatus.MIE = 0: WFI wakes, no trap
    REQUIRE(run_program({}) == RunExit::Wfi);
    REQUIRE(h.wfi);
    std::thread device([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        h.set_irq(IRQ_MSI, true);
    });
    h.wait_for_interrupt();
    device.join();
    CHECK_FALSE(h.wfi);
    CHECK(h.wfi_wakeup_pending());
    // Execution continues after the WFI without a trap.
    const uint64_t after = h.pc;
    load(after, {addi(T2, 0, 7), wfi()});
    h.code_flush();
    h.set_irq(IRQ_MSI, false);
    REQUIRE(h.run(100) == RunExit::ExitRequest);  // the kick that came with the interrupt
    REQUIRE(h.run(100) == RunExit::Wfi);
    CHECK(h.x[T2] == 7);
    CHECK(csr(csr::mcause) == 0);
}

TEST_CASE_METHOD(CoreFixture, "wait_for_interrupt returns at once when an interrupt is already pending", "[cpu][interp]")
{
    set_csr(csr::mie, MIP_MEIP);
    h.set_irq(IRQ_MEI, true);
    h.wait_for_interrupt();  // would hang if the wake-up had been lost
    CHECK(h.wfi_wakeup_pending());
}

TEST_CASE_METHOD(CoreFixture, "fence.i makes code this hart stored visible to its fetches", "[cpu][interp]")
{
    // 0: addi t2,t2,1 (patched to addi t2,t2,100)   4: bne t3,0,->24   8: addi t3,0,1
    // 12: sw t1,0(t0)   16: fence.i   20: j 0   24: wfi
    h.x[T0] = kCode;
    h.x[T1] = addi(T2, T2, 100);
    REQUIRE(run_program({addi(T2, T2, 1), bne(T3, 0, 20), addi(T3, 0, 1), sw(T1, T0, 0), fence_i(), jal(0, -20)}) ==
            RunExit::Wfi);
    REQUIRE(finished());
    CHECK(h.x[T2] == 101);
}

TEST_CASE_METHOD(CoreFixture, "an instruction straddling a page boundary executes", "[cpu][interp]")
{
    const uint64_t pc = kCode + 0xffc;
    poke16(pc, c_nop());
    poke32(pc + 2, addi(T2, T2, 5));  // 0x...ffe .. 0x...1001
    poke16(pc + 6, c_addi(T2, 1));
    poke32(pc + 8, wfi());
    h.code_flush();
    h.pc = pc;
    REQUIRE(h.run(100) == RunExit::Wfi);
    CHECK(h.pc == pc + 12);
    CHECK(h.x[T2] == 6);
    CHECK(h.instret == 4);
}

TEST_CASE_METHOD(CoreFixture, "a fetch fault on the second half of a straddling instruction reports that half", "[cpu][interp]")
{
    const uint64_t va = 0x4000'0000;
    map(va, kCode, PTE_R | PTE_X | PTE_A);  // the next virtual page is not mapped
    enable_sv39();
    set_priv(h, Priv::S);
    poke16(kCode + 0xffc, c_nop());
    poke16(kCode + 0xffe, uint16_t(addi(T2, T2, 5)));  // first half of a 32-bit instruction
    h.pc = va + 0xffc;
    REQUIRE(h.run(100) == RunExit::Wfi);
    CHECK(trapped(Exception::InsnPageFault));
    CHECK(csr(csr::mepc) == va + 0xffe);
    CHECK(csr(csr::mtval) == va + 0x1000);
}

TEST_CASE_METHOD(CoreFixture, "code in MMIO runs one instruction at a time through the device", "[cpu][interp]")
{
    const uint32_t code[] = {addi(T2, T2, 1), addi(T2, T2, 1), jalr(0, RA, 0)};
    for (unsigned i = 0; i < 3; ++i) REQUIRE(as.write(kMmioBase + 4 * i, 4, code[i]) == locklab::MemTx::Ok);
    poke32(kCode, wfi());
    h.x[RA] = kCode;
    h.pc = kMmioBase;
    const int before = dev->callbacks();
    REQUIRE(h.run(100) == RunExit::Wfi);
    CHECK(h.pc == kCode + 4);
    CHECK(h.x[T2] == 2);
    CHECK(dev->callbacks() - before == 6);  // two 16-bit parcels per instruction, no caching
    if (!test_engine_is_jit()) CHECK(h.blocks->size() == 1);  // only the RAM block with the WFI was cached
}

TEST_CASE_METHOD(CoreFixture, "straight-line code longer than a block runs across block boundaries", "[cpu][interp]")
{
    constexpr unsigned kCount = kMaxBlockInsns * 2 + 7;
    for (unsigned i = 0; i < kCount; ++i) poke32(kCode + 4 * i, addi(T2, T2, 1));
    poke32(kCode + 4 * kCount, wfi());
    h.pc = kCode;
    REQUIRE(h.run(10000) == RunExit::Wfi);
    CHECK(h.x[T2] == kCount);
    CHECK(h.instret == kCount + 1);
    if (!test_engine_is_jit()) CHECK(h.blocks->size() == 3);  // the interpreter's decoded blocks
}

TEST_CASE_METHOD(CoreFixture, "compressed and 32-bit instructions mix in one block", "[cpu][interp]")
{
    poke16(kCode, c_addi(T2, 3));
    poke32(kCode + 2, addi(T2, T2, 10));
    poke16(kCode + 6, c_addi(T2, -1));
    poke32(kCode + 8, wfi());
    h.code_flush();
    h.pc = kCode;
    REQUIRE(h.run(100) == RunExit::Wfi);
    CHECK(h.x[T2] == 12);
    CHECK(h.pc == kCode + 12);
}

TEST_CASE_METHOD(CoreFixture, "a loop of chained blocks computes the right result", "[cpu][interp]")
{
    // t0 = 1000; do { t2 += 3; t1 += t0; } while (--t0);
    REQUIRE(run_program({addi(T0, 0, 1000), addi(T2, T2, 3), add(T1, T1, T0), addi(T0, T0, -1), bne(T0, 0, -12)}) ==
            RunExit::Wfi);
    REQUIRE(finished());
    CHECK(h.x[T2] == 3000);
    CHECK(h.x[T1] == 1000 * 1001 / 2);
    CHECK(h.instret == 1 + 4 * 1000 + 1);
}

TEST_CASE_METHOD(CoreFixture, "tracing hooks see every decoded block and every executed instruction", "[cpu][interp]")
{
    std::vector<uint64_t> executed;
    std::vector<std::pair<uint64_t, size_t>> decoded;
    h.on_insn_exec = [&](const Hart& hart, const DecodedInsn&) { executed.push_back(hart.pc); };
    h.on_block_decoded = [&](const Hart&, uint64_t pc, const DecodedInsn*, size_t n) { decoded.emplace_back(pc, n); };
    // 0: addi t0,0,2   4: addi t0,t0,-1   8: bne t0,0,-4   12: wfi
    REQUIRE(run_program({addi(T0, 0, 2), addi(T0, T0, -1), bne(T0, 0, -4)}) == RunExit::Wfi);
    const std::vector<uint64_t> want = {kCode, kCode + 4, kCode + 8, kCode + 4, kCode + 8, kCode + 12};
    CHECK(executed == want);
    const std::vector<std::pair<uint64_t, size_t>> blocks = {{kCode, 3}, {kCode + 4, 2}, {kCode + 12, 1}};
    CHECK(decoded == blocks);
    CHECK(h.instret == executed.size());
}
