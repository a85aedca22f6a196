// The JIT (cpu/tcg/): the same programs give the same architectural results as on the interpreter;
// instret and pc are exact at traps in the middle of a block; budgets, kicks, fence.i, MMIO, code that
// is not cacheable, helper-executed operations (division, AMOs, CSRs) and chaining.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <initializer_list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cpu/tcg/jit.h"
#include "tests/cpu/core_fixture.h"

using namespace locklab::rv;
using namespace locklab::rv::test;
using namespace locklab::rv::test::enc;

namespace {

constexpr unsigned RA = 1, SP = 2, T0 = 5, T1 = 6, T2 = 7, S0 = 8, S1 = 9, A0 = 10, A1 = 11, A2 = 12, A3 = 13,
                   A4 = 14, A5 = 15, T3 = 28, T4 = 29;

struct JitFixture : CoreFixture {
    JitFixture() { tcg::enable_jit(h); }
};

// The program on a fresh interpreter hart and a fresh JIT hart, from the same registers: both must
// finish with the same registers, pc, instret and data page.
void same_on_both(std::initializer_list<uint32_t> program, std::initializer_list<std::pair<unsigned, uint64_t>> regs)
{
    CoreFixture interp;
    JitFixture jit;
    for (auto* f : {&interp, static_cast<CoreFixture*>(&jit)}) {
        for (auto [r, v] : regs) f->h.x[r] = v;
        for (unsigned i = 0; i < 64; ++i) f->poke64(CoreFixture::kData + 8 * i, 0x0123456789abcdefull * (i + 1));
        REQUIRE(f->run_program(program) == RunExit::Wfi);
    }
    for (unsigned r = 0; r < 32; ++r) {
        INFO("x" << r);
        CHECK(jit.h.x[r] == interp.h.x[r]);
    }
    CHECK(jit.h.pc == interp.h.pc);
    CHECK(jit.h.instret == interp.h.instret);
    CHECK(jit.csr(csr::mcause) == interp.csr(csr::mcause));
    CHECK(jit.csr(csr::mepc) == interp.csr(csr::mepc));
    for (unsigned i = 0; i < 64; ++i) CHECK(jit.peek(CoreFixture::kData + 8 * i) == interp.peek(CoreFixture::kData + 8 * i));
}

// The program runs to its end on the interpreter and, in runs of 1, 2, 3, 5, 7 and 100000
// instructions, on the JIT (a budget may end a run at any exit of a block): same registers, same
// instret.
void same_under_budgets(std::initializer_list<uint32_t> program, std::initializer_list<std::pair<unsigned, uint64_t>> regs)
{
    CoreFixture interp;
    for (auto [r, v] : regs) interp.h.x[r] = v;
    REQUIRE(interp.run_program(program) == RunExit::Wfi);
    REQUIRE(interp.finished());
    for (uint64_t slice : {uint64_t(1), uint64_t(2), uint64_t(3), uint64_t(5), uint64_t(7), uint64_t(100000)}) {
        INFO("budget per run: " << slice);
        JitFixture jit;
        for (auto [r, v] : regs) jit.h.x[r] = v;
        RunExit e = jit.run_program(program, slice);
        while (e == RunExit::BudgetDone) e = jit.h.run(slice);
        REQUIRE(e == RunExit::Wfi);
        CHECK(jit.finished());
        for (unsigned r = 0; r < 32; ++r) {
            INFO("x" << r);
            CHECK(jit.h.x[r] == interp.h.x[r]);
        }
        CHECK(jit.h.instret == interp.h.instret);
    }
}

}  // namespace

TEST_CASE("the JIT computes what the interpreter computes for integer arithmetic", "[cpu][tcg]")
{
    const std::initializer_list<std::pair<unsigned, uint64_t>> regs = {
        {T0, 0x8000'0000'0000'0001ull}, {T1, 0xffff'ffff'8000'0000ull}, {T2, 63}, {A0, 0x1234'5678'9abc'def0ull},
        {A1, uint64_t(-7)}, {A2, 3}};
    same_on_both({add(A3, T0, T1), sub(A4, T1, T0), sll(A5, A0, T2), srl(S0, T1, A2), sra(S1, T1, A2),
                  slt(T3, T1, T0), sltu(T4, T1, T0), xor_(A2, A2, A0), or_(A1, A1, A0), and_(T0, T0, A0)},
                 regs);
    same_on_both({addi(A3, T0, -1), slti(A4, A1, -6), sltiu(A5, A1, -6), xori(S0, A0, -1), ori(S1, A0, 0x7ff),
                  andi(T3, A0, -16), slli(T4, A0, 63), srli(A1, T1, 1), srai(A2, T1, 17), lui(T2, 0x80000),
                  auipc(T0, 0x12345)},
                 regs);
    same_on_both({addiw(A3, T0, -2), slliw(A4, A0, 31), srliw(A5, T1, 3), sraiw(S0, T1, 3), addw(S1, T0, T1),
                  subw(T3, T1, T0), sllw(T4, A0, T2), srlw(A1, T1, T2), sraw(A2, T1, A2)},
                 regs);
    same_on_both({mul(A3, A0, A1), mulh(A4, A0, A1), mulhsu(A5, A1, A0), mulhu(S0, A0, A1), div(S1, A0, A1),
                  divu(T3, A0, A2), rem(T4, A0, A1), remu(T2, A0, 0), mulw(A1, A0, A0), divw(A2, T0, 0),
                  remuw(T0, A0, A2)},
                 regs);
}

TEST_CASE("the JIT's division follows the M extension's table for zero divisors and overflow", "[cpu][tcg]")
{
    const std::initializer_list<std::pair<unsigned, uint64_t>> regs = {
        {T0, 0x8000'0000'0000'0000ull}, {T1, ~uint64_t(0)}, {T2, 0}, {A0, 0xffff'ffff'8000'0000ull},
        {A1, 12345}, {A2, 0x1'0000'0000ull}, {S1, uint64_t(-7)}, {T3, 2}};
    // 64-bit: most negative / -1, zero divisors, rounding toward zero.
    same_on_both({div(A3, T0, T1), rem(A4, T0, T1), div(A5, A1, T2), rem(S0, A1, T2), divu(T4, A1, T2),
                  remu(RA, A1, T2), div(SP, S1, T3), rem(A2, S1, T3)},
                 regs);
    // 32-bit: INT32_MIN / -1, a divisor whose low half is zero, unsigned views of negative values.
    same_on_both({divw(A3, A0, T1), remw(A4, A0, T1), divw(A5, A1, A2), remw(S0, A1, A2), divuw(T4, A1, A2),
                  remuw(RA, A0, A2), divuw(SP, S1, T3), remuw(T0, S1, T3)},
                 regs);
    // The destination is a source, and immediate (x0) operands.
    same_on_both({div(A1, A1, S1), rem(S1, A1, S1), divu(T3, T1, T3), remu(T1, T1, T0), div(A3, 0, A1),
                  rem(A4, A1, 0), divw(A5, 0, 0)},
                 regs);
}

TEST_CASE("the JIT keeps x0 zero whatever is written to it", "[cpu][tcg]")
{
    same_on_both({addi(0, 0, 5), add(A0, 0, 0), lui(0, 1), ld(0, T0, 0), add(A1, 0, T0), sltu(A2, 0, T0)},
                 {{T0, CoreFixture::kData}});
}

TEST_CASE("the JIT's loads, stores and atomics agree with the interpreter's", "[cpu][tcg]")
{
    const std::initializer_list<std::pair<unsigned, uint64_t>> regs = {{T0, CoreFixture::kData}, {T1, uint64_t(-2)}};
    same_on_both({lb(A0, T0, 7), lh(A1, T0, 6), lw(A2, T0, 4), ld(A3, T0, 8), lbu(A4, T0, 15), lhu(A5, T0, 14),
                  lwu(S0, T0, 12), sb(T1, T0, 16), sh(T1, T0, 26), sw(T1, T0, 36), sd(T1, T0, 48), ld(S1, T0, 16),
                  lw(T2, T0, 3), sd(T1, T0, 61), ld(T3, T0, 61)},
                 regs);
    same_on_both({amo_w(Amo::ADD, A0, T0, T1), amo_d(Amo::MAXU, A1, T0, T1), lr_d(A2, T0), sc_d(A3, T0, T1),
                  sc_w(A4, T0, T1), ld(A5, T0, 0)},
                 regs);
}

TEST_CASE_METHOD(JitFixture, "a fault in the middle of a JIT block reports its pc and the instructions before it",
                 "[cpu][tcg]")
{
    h.x[T0] = kUnassigned;
    REQUIRE(run_program({addi(T2, 0, 7), nop(), addi(T2, T2, 1), lw(T1, T0, 0), addi(T2, T2, 100)}) == RunExit::Wfi);
    REQUIRE(trapped(Exception::LoadAccessFault));
    CHECK(csr(csr::mepc) == kCode + 12);
    CHECK(csr(csr::mtval) == kUnassigned);
    CHECK(h.x[T2] == 8);  // written back before the fault; the instruction after it never ran
    CHECK(h.instret == 3 + 1);
}

TEST_CASE_METHOD(JitFixture, "a store fault and a misaligned access under the JIT", "[cpu][tcg]")
{
    h.x[T0] = kData + 1;
    h.x[T1] = 0x1122334455667788ull;
    h.x[A0] = kUnassigned;
    REQUIRE(run_program({sd(T1, T0, 0), ld(T2, T0, 0), addi(A1, 0, 1), sw(T1, A0, 0), addi(A1, 0, 2)}) ==
            RunExit::Wfi);
    REQUIRE(trapped(Exception::StoreAccessFault));
    CHECK(h.x[T2] == 0x1122334455667788ull);  // misaligned: byte by byte through the slow path
    CHECK(h.x[A1] == 1);
    CHECK(csr(csr::mepc) == kCode + 12);
    CHECK(h.instret == 3 + 1);
}

TEST_CASE_METHOD(JitFixture, "JIT loads and stores to MMIO go through the device", "[cpu][tcg]")
{
    h.x[T0] = kMmioBase;
    h.x[T1] = 0xa5;
    const int before = dev->callbacks();
    REQUIRE(run_program({sb(T1, T0, 3), lbu(T2, T0, 3), addi(T2, T2, 1)}) == RunExit::Wfi);
    REQUIRE(finished());
    CHECK(h.x[T2] == 0xa6);
    CHECK(dev->callbacks() - before == 2);
}

TEST_CASE_METHOD(JitFixture, "a chained JIT loop computes the right result and counts every instruction",
                 "[cpu][tcg]")
{
    REQUIRE(run_program({addi(T0, 0, 1000), addi(T2, T2, 3), add(T1, T1, T0), addi(T0, T0, -1), bne(T0, 0, -12)}) ==
            RunExit::Wfi);
    REQUIRE(finished());
    CHECK(h.x[T2] == 3000);
    CHECK(h.x[T1] == 1000 * 1001 / 2);
    CHECK(h.instret == 1 + 4 * 1000 + 1);
    CHECK(tcg::jit_stats(h).chains >= 1);
}

TEST_CASE("superblock side exits leave with exact state, also when a budget ends the run there", "[cpu][tcg]")
{
    // for (t0 = 60; t0; t0--) { if (t0 & 4) { t1 += t0; a3++ } if (t0 & 8) { t2 ^= t0; a4++ } a0++ }
    // with both ifs as branches around two instructions (around one they would be Selects), so the
    // loop body is one superblock with two side exits.
    const std::initializer_list<uint32_t> program = {
        addi(T0, 0, 60),
        andi(A1, T0, 4),  // loop:
        beq(A1, 0, 12),
        add(T1, T1, T0),
        addi(A3, A3, 1),
        andi(A2, T0, 8),
        beq(A2, 0, 12),
        xor_(T2, T2, T0),
        addi(A4, A4, 1),
        addi(A0, A0, 1),
        addi(T0, T0, -1),
        bne(T0, 0, -40)};
    same_under_budgets(program, {});
}

TEST_CASE("branches over one instruction run branch-free with exact registers and instret under any budget",
          "[cpu][tcg]")
{
    // for (t0 = 60; t0; t0--) with five branches over one instruction each (Selects): taken and not
    // taken in every pattern, a W-form, a lui, a branch guarding the register it reads, and a
    // skipped register that is not one of the pinned ones.
    const std::initializer_list<uint32_t> program = {
        addi(T0, 0, 60),
        andi(A1, T0, 4),  // loop:
        beq(A1, 0, 8),
        add(T1, T1, T0),  //   if (t0 & 4) t1 += t0
        andi(A2, T0, 8),
        bne(A2, 0, 8),
        addiw(T2, T2, -7),  // if (!(t0 & 8)) t2 = (int32_t)(t2 - 7)
        bltu(T1, T2, 8),
        lui(S1, 0x12345),  //  if (t1 >= t2) s1 = 0x12345000
        bge(T3, T0, 8),
        addi(T3, T3, 3),  //   if (t3 < t0) t3 += 3
        beq(T4, 0, 8),
        xori(T4, T4, 1),  //   if (t4 != 0) t4 ^= 1 (then never again: t4 stays even)
        addi(A0, A0, 1),
        addi(T0, T0, -1),
        bne(T0, 0, -56)};
    same_under_budgets(program, {{T4, 3}});
}

TEST_CASE("the JIT pins the registers its hot loop uses, from a profile, and computes the same", "[cpu][tcg]")
{
    constexpr unsigned S2 = 18, S3 = 19, S4 = 20, S5 = 21, S6 = 22;
    // A loop on s-registers only: s2 = 30000; do { s3 += 3; s4 += s2; s5 ^= s4; s6 += s5; } while (--s2)
    const std::initializer_list<uint32_t> program = {lui(S2, 7), addi(S2, S2, 1328), addi(S3, S3, 3),
                                                     add(S4, S4, S2),  xor_(S5, S5, S4), add(S6, S6, S5),
                                                     addi(S2, S2, -1), bne(S2, 0, -20)};
    CoreFixture interp;
    REQUIRE(interp.run_program(program, 1'000'000) == RunExit::Wfi);
    // Profiling on; off; on, but with more blocks cached than it may retranslate (none stays pinned).
    for (int mode : {0, 1, 2}) {
        INFO("mode: " << mode);
        const bool profile = mode == 0;
        CoreFixture f;
        tcg::JitOptions o;
        o.profile_registers = mode != 1;
        if (mode == 2) o.profile_max_blocks = 1;
        tcg::enable_jit(f.h, o);
        // Budgets of 1000 instructions, as a vCPU thread's slices: each end is a profile sample.
        RunExit e = f.run_program(program, 1000);
        while (e == RunExit::BudgetDone) e = f.h.run(1000);
        REQUIRE(e == RunExit::Wfi);
        for (unsigned r = 0; r < 32; ++r) {
            INFO("x" << r);
            CHECK(f.h.x[r] == interp.h.x[r]);
        }
        CHECK(f.h.instret == interp.h.instret);
        const std::vector<unsigned> pinned = tcg::jit_pinned_registers(f.h);
        auto is_pinned = [&](unsigned r) { return std::find(pinned.begin(), pinned.end(), r) != pinned.end(); };
        if (profile) {
            CHECK(tcg::jit_stats(f.h).remaps >= 1);
            for (unsigned r : {S2, S3, S4, S5, S6}) CHECK(is_pinned(r));
        } else {
            CHECK(tcg::jit_stats(f.h).remaps == 0);
            CHECK(pinned == std::vector<unsigned>{A5, A4, A3, A2, A0, SP});
        }
    }
}

TEST_CASE_METHOD(JitFixture, "the JIT returns after its budget, even inside chained blocks", "[cpu][tcg]")
{
    poke32(kCode, jal(0, 0));  // j .
    h.pc = kCode;
    CHECK(h.run(1000) == RunExit::BudgetDone);
    CHECK(h.instret == 1000);
    CHECK(h.pc == kCode);
    CHECK(h.run(500) == RunExit::BudgetDone);
    CHECK(h.instret == 1500);
}

TEST_CASE_METHOD(JitFixture, "kick from another thread ends a JIT run in an endless chained loop", "[cpu][tcg]")
{
    poke32(kCode, addi(T2, T2, 1));
    poke32(kCode + 4, jal(0, -4));
    h.pc = kCode;
    std::thread kicker([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        h.kick();
    });
    CHECK(h.run(~uint64_t(0)) == RunExit::ExitRequest);
    kicker.join();
    CHECK(h.x[T2] > 0);
    CHECK(h.instret == 2 * h.x[T2] - (h.pc == kCode + 4 ? 1 : 0));
}

TEST_CASE_METHOD(JitFixture, "fence.i makes code this hart stored visible to the JIT", "[cpu][tcg]")
{
    h.x[T0] = kCode;
    h.x[T1] = addi(T2, T2, 100);
    REQUIRE(run_program({addi(T2, T2, 1), bne(T3, 0, 20), addi(T3, 0, 1), sw(T1, T0, 0), fence_i(), jal(0, -20)}) ==
            RunExit::Wfi);
    REQUIRE(finished());
    CHECK(h.x[T2] == 101);
    CHECK(tcg::jit_stats(h).flushes >= 1);
}

TEST_CASE_METHOD(JitFixture, "CSR instructions, ecall and mret run as helpers with exact instret", "[cpu][tcg]")
{
    // The trap pad is a WFI; an ecall from M-mode traps to it with mepc at the ecall.
    REQUIRE(run_program({addi(T0, 0, 10), addi(T2, T2, 1), addi(T0, T0, -1), bne(T0, 0, -8), nop(),
                         csrrs(T1, csr::minstret, 0), ecall()}) == RunExit::Wfi);
    CHECK(h.x[T1] == 1 + 3 * 10 + 1);
    CHECK(trapped(Exception::EcallM));
    CHECK(csr(csr::mepc) == kCode + 24);
}

TEST_CASE_METHOD(JitFixture, "the JIT runs an instruction straddling a page and code in MMIO", "[cpu][tcg]")
{
    const uint64_t pc = kCode + 0xffc;
    poke16(pc, c_nop());
    poke32(pc + 2, addi(T2, T2, 5));
    poke16(pc + 6, c_addi(T2, 1));
    poke32(pc + 8, jalr(0, RA, 0));
    const uint32_t code[] = {addi(T2, T2, 10), jalr(0, S0, 0)};
    for (unsigned i = 0; i < 2; ++i) REQUIRE(as.write(kMmioBase + 4 * i, 4, code[i]) == locklab::MemTx::Ok);
    poke32(kCode, wfi());
    h.x[RA] = kMmioBase;
    h.x[S0] = kCode;
    h.pc = pc;
    REQUIRE(h.run(100) == RunExit::Wfi);
    CHECK(h.pc == kCode + 4);
    CHECK(h.x[T2] == 16);
    CHECK(h.instret == 7);
}

TEST_CASE_METHOD(JitFixture, "JIT loads and stores under Sv39 fault with the page-fault cause", "[cpu][tcg]")
{
    const uint64_t va = 0x4000'0000;
    enter_supervisor_sv39(va, PTE_R | PTE_A);  // readable, not writable
    poke64(kData, 42);
    h.x[T0] = va;
    REQUIRE(run_program({ld(T1, T0, 0), addi(T1, T1, 1), sd(T1, T0, 0), addi(T2, 0, 1)}) == RunExit::Wfi);
    CHECK(h.x[T1] == 43);
    CHECK(h.x[T2] == 0);
    CHECK(trapped(Exception::StorePageFault));
    CHECK(csr(csr::mtval) == va);
    CHECK(csr(csr::mepc) == kCode + 8);
}

TEST_CASE_METHOD(JitFixture, "calls and returns through indirect jumps stay in translated code", "[cpu][tcg]")
{
    // main: t0 = 100; loop: jal ra, f; addi t0,t0,-1; bne t0,0,loop; (wfi)
    // f (on the next page): addi t2,t2,2; jalr x0, ra
    const uint64_t f = kCode + 0x1000;
    poke32(f, addi(T2, T2, 2));
    poke32(f + 4, jalr(0, RA, 0));
    REQUIRE(run_program({addi(T0, 0, 100), jal(RA, int32_t(f - (kCode + 4))), addi(T0, T0, -1), bne(T0, 0, -8)}) ==
            RunExit::Wfi);
    REQUIRE(finished());
    CHECK(h.x[T2] == 200);
    CHECK(h.instret == 1 + 100 * 5 + 1);
    CHECK(tcg::jit_stats(h).blocks_translated <= 6);  // every block translated once
}

TEST_CASE_METHOD(JitFixture, "a budget stops a JIT run that never leaves translated code", "[cpu][tcg]")
{
    // Two blocks on different pages jumping to each other (never chained: other page), forever.
    poke32(kCode, addi(T2, T2, 1));
    poke32(kCode + 4, jal(0, 0x1000 - 4));
    poke32(kCode + 0x1000, jal(0, -0x1000));
    h.pc = kCode;
    CHECK(h.run(3000) == RunExit::BudgetDone);
    CHECK(h.instret >= 3000);
    CHECK(h.instret < 3003);
    CHECK(h.x[T2] == (h.instret + 2) / 3);
}

TEST_CASE("a full code buffer is flushed and translation goes on", "[cpu][tcg]")
{
    CoreFixture f;
    tcg::JitOptions small;
    small.code_buffer_bytes = 0;  // the smallest buffer the JIT accepts
    tcg::enable_jit(f.h, small);
    // 2000 two-instruction blocks (addi; jal to the next one): more code than the buffer holds.
    constexpr unsigned kBlocks = 2000;
    for (unsigned i = 0; i < kBlocks; ++i) {
        f.poke32(CoreFixture::kCode + 8 * i, addi(T2, T2, 1));
        f.poke32(CoreFixture::kCode + 8 * i + 4, jal(0, 4));
    }
    f.poke32(CoreFixture::kCode + 8 * kBlocks, wfi());
    f.h.pc = CoreFixture::kCode;
    REQUIRE(f.h.run(100000) == RunExit::Wfi);
    CHECK(f.h.x[T2] == kBlocks);
    CHECK(f.h.instret == 2 * kBlocks + 1);
    CHECK(tcg::jit_stats(f.h).flushes >= 1);
}

TEST_CASE_METHOD(JitFixture, "out_asm and tb_stats (-d) print each translated block", "[cpu][tcg]")
{
    std::FILE* log = std::tmpfile();
    REQUIRE(log);
    tcg::set_jit_trace(h, {true, true, log});
    REQUIRE(run_program({addi(T2, T2, 1), ld(T1, T0, 0)}) == RunExit::Wfi);
    std::rewind(log);
    std::string text;
    for (int c; (c = std::fgetc(log)) != EOF;) text += char(c);
    std::fclose(log);
    CHECK(text.find("tb pc=0x80000000 pa=0x80000000 guest_insns=3") != std::string::npos);
    CHECK(text.find("OUT: [size=") != std::string::npos);
    CHECK(text.find("cmp byte ptr [rbp") != std::string::npos);  // the exit-request check, via Capstone
}

TEST_CASE_METHOD(CoreFixture, "JIT harts on separate threads lose no atomic or lock-protected update",
                 "[cpu][tcg][smp]")
{
    // Each hart, t2 times: amoadd.d zero,t3,(t0); lock: amoswap.w t4,t3,(a1); bnez t4,lock;
    // ld t5,(a2); addi t5,t5,1; sd t5,(a2); amoswap.w zero,zero,(a1) (unlock)
    constexpr unsigned T5 = 30;
    const uint64_t amo_counter = kData, lock = kData + 64, plain_counter = kData + 128;
    load(kCode, {amo_d(Amo::ADD, 0, T0, T3), amo_w(Amo::SWAP, T4, A1, T3), bne(T4, 0, -4), ld(T5, A2, 0),
                 addi(T5, T5, 1), sd(T5, A2, 0), amo_w(Amo::SWAP, 0, A1, 0), addi(T2, T2, -1), bne(T2, 0, -32),
                 wfi()});
    constexpr unsigned kHarts = 3;
    constexpr uint64_t kIterations = 5000;
    std::vector<std::unique_ptr<Hart>> harts;
    for (unsigned id = 0; id < kHarts; ++id) {
        Hart& hh = *harts.emplace_back(std::make_unique<Hart>(id + 1, as));
        hh.reset(kCode, 0);
        csr_write_raw(hh, csr::mtvec, kTrapPad);
        hh.x[T0] = amo_counter;
        hh.x[A1] = lock;
        hh.x[A2] = plain_counter;
        hh.x[T2] = kIterations;
        hh.x[T3] = 1;
        tcg::enable_jit(hh);
    }
    std::vector<std::thread> threads;
    for (auto& hp : harts)
        threads.emplace_back([&hh = *hp] {
            while (hh.run(700) != RunExit::Wfi) {  // small slices: many exits and re-entries
            }
        });
    for (auto& t : threads) t.join();
    for (auto& hp : harts) CHECK(hp->pc == kCode + 40);
    CHECK(peek(amo_counter) == kHarts * kIterations);
    CHECK(peek(plain_counter) == kHarts * kIterations);
    CHECK(peek(lock, 4) == 0);
}
