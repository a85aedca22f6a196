// Instruction semantics (cpu/semantics.h) through decode and the interpreter: integer edge cases
// of RV64I and M, W-operation sign extension, shift masking, jumps and branches, load extension.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>

#include "tests/cpu/core_fixture.h"

using namespace locklab::rv;
using namespace locklab::rv::test;

namespace {

constexpr unsigned A = 5, B = 6, D = 7;  // operand registers t0, t1 and the destination t2
constexpr uint64_t kMin64 = uint64_t(1) << 63;
constexpr uint64_t kMinus1 = ~uint64_t(0);

struct SemFixture : CoreFixture {
    // Execute one instruction with x5 = a, x6 = b; returns x7.
    uint64_t exec(uint32_t insn, uint64_t a, uint64_t b = 0)
    {
        h.x[A] = a;
        h.x[B] = b;
        h.x[D] = 0xdead;
        REQUIRE(run_program({insn}) == RunExit::Wfi);
        REQUIRE(finished());
        return h.x[D];
    }
};

}  // namespace

TEST_CASE_METHOD(SemFixture, "division by zero gives all ones and the dividend as remainder", "[cpu][semantics]")
{
    using namespace enc;
    CHECK(exec(div(D, A, B), 42, 0) == kMinus1);
    CHECK(exec(divu(D, A, B), 42, 0) == kMinus1);
    CHECK(exec(rem(D, A, B), uint64_t(-42), 0) == uint64_t(-42));
    CHECK(exec(remu(D, A, B), 42, 0) == 42);
    CHECK(exec(divw(D, A, B), 42, 0) == kMinus1);
    CHECK(exec(divuw(D, A, B), 42, 0) == kMinus1);  // 0xffffffff, sign-extended
    CHECK(exec(remw(D, A, B), 0x1'8000'0000, 0) == 0xffff'ffff'8000'0000);  // low word, sign-extended
    CHECK(exec(remuw(D, A, B), 0x1'8000'0000, 0) == 0xffff'ffff'8000'0000);
}

TEST_CASE_METHOD(SemFixture, "signed division overflow gives the dividend and a zero remainder", "[cpu][semantics]")
{
    using namespace enc;
    CHECK(exec(div(D, A, B), kMin64, kMinus1) == kMin64);
    CHECK(exec(rem(D, A, B), kMin64, kMinus1) == 0);
    CHECK(exec(divw(D, A, B), 0x8000'0000, kMinus1) == 0xffff'ffff'8000'0000);
    CHECK(exec(remw(D, A, B), 0x8000'0000, kMinus1) == 0);
}

TEST_CASE_METHOD(SemFixture, "division rounds toward zero", "[cpu][semantics]")
{
    using namespace enc;
    CHECK(exec(div(D, A, B), uint64_t(-7), 2) == uint64_t(-3));
    CHECK(exec(rem(D, A, B), uint64_t(-7), 2) == uint64_t(-1));
    CHECK(exec(divu(D, A, B), uint64_t(-7), 2) == (uint64_t(-7) / 2));
    CHECK(exec(divw(D, A, B), uint64_t(-7), 2) == uint64_t(-3));
    CHECK(exec(remuw(D, A, B), 0xffff'ffff, 10) == 0xffff'ffffu % 10);
}

TEST_CASE_METHOD(SemFixture, "W operations compute on 32 bits and sign-extend the result", "[cpu][semantics]")
{
    using namespace enc;
    CHECK(exec(addw(D, A, B), 0x7fff'ffff, 1) == 0xffff'ffff'8000'0000);
    CHECK(exec(addiw(D, A, 1), 0xffff'ffff'7fff'ffff) == 0xffff'ffff'8000'0000);
    CHECK(exec(addiw(D, A, 0), 0x1234'5678'9abc'def0) == 0xffff'ffff'9abc'def0);  // sext.w
    CHECK(exec(subw(D, A, B), 0, 1) == kMinus1);
    CHECK(exec(sllw(D, A, B), 1, 31) == 0xffff'ffff'8000'0000);
    CHECK(exec(slliw(D, A, 31), 1) == 0xffff'ffff'8000'0000);
    CHECK(exec(srlw(D, A, B), 0xffff'ffff'8000'0000, 0) == 0xffff'ffff'8000'0000);
    CHECK(exec(srlw(D, A, B), 0xffff'ffff'8000'0000, 1) == 0x4000'0000);
    CHECK(exec(srliw(D, A, 4), 0x8000'0000) == 0x0800'0000);
    CHECK(exec(sraw(D, A, B), 0x8000'0000, 4) == 0xffff'ffff'f800'0000);
    CHECK(exec(sraiw(D, A, 31), 0x8000'0000) == kMinus1);
    CHECK(exec(mulw(D, A, B), 0x10000, 0x8000) == 0xffff'ffff'8000'0000);
}

TEST_CASE_METHOD(SemFixture, "shift amounts are masked to 6 bits and to 5 for W operations", "[cpu][semantics]")
{
    using namespace enc;
    CHECK(exec(sll(D, A, B), 1, 63) == kMin64);
    CHECK(exec(sll(D, A, B), 1, 64) == 1);  // 64 & 63 == 0
    CHECK(exec(srl(D, A, B), kMin64, 63) == 1);
    CHECK(exec(sra(D, A, B), kMin64, 63) == kMinus1);
    CHECK(exec(sra(D, A, B), kMin64, 64 + 4) == 0xf800'0000'0000'0000);
    CHECK(exec(slli(D, A, 63), 1) == kMin64);
    CHECK(exec(srli(D, A, 63), kMinus1) == 1);
    CHECK(exec(srai(D, A, 63), kMin64) == kMinus1);
    CHECK(exec(sllw(D, A, B), 3, 32) == 3);  // 32 & 31 == 0
    CHECK(exec(srlw(D, A, B), 0x10, 33) == 8);
}

TEST_CASE_METHOD(SemFixture, "high multiplications give the upper 64 bits of the signed/unsigned product", "[cpu][semantics]")
{
    using namespace enc;
    CHECK(exec(mul(D, A, B), kMinus1, kMinus1) == 1);
    CHECK(exec(mulh(D, A, B), kMinus1, kMinus1) == 0);              // (-1) * (-1)
    CHECK(exec(mulhu(D, A, B), kMinus1, kMinus1) == kMinus1 - 1);   // (2^64-1)^2 >> 64
    CHECK(exec(mulhsu(D, A, B), kMinus1, kMinus1) == kMinus1);      // (-1) * (2^64-1) >> 64
    CHECK(exec(mulh(D, A, B), kMin64, kMin64) == uint64_t(1) << 62);
    CHECK(exec(mulhsu(D, A, B), 2, kMin64) == 1);
}

TEST_CASE_METHOD(SemFixture, "comparisons are signed or unsigned as named", "[cpu][semantics]")
{
    using namespace enc;
    CHECK(exec(slt(D, A, B), kMinus1, 1) == 1);
    CHECK(exec(sltu(D, A, B), kMinus1, 1) == 0);
    CHECK(exec(slti(D, A, -1), uint64_t(-2)) == 1);
    CHECK(exec(sltiu(D, A, -1), 5) == 1);  // the immediate is sign-extended, then compared unsigned
    CHECK(exec(sltiu(D, A, 1), 0) == 1);   // seqz
}

TEST_CASE_METHOD(SemFixture, "logic immediates are sign-extended", "[cpu][semantics]")
{
    using namespace enc;
    CHECK(exec(xori(D, A, -1), 0x0f) == ~uint64_t(0x0f));  // not
    CHECK(exec(andi(D, A, -16), kMinus1) == ~uint64_t(15));
    CHECK(exec(ori(D, A, 0x7ff), 0) == 0x7ff);
}

TEST_CASE_METHOD(SemFixture, "writes to x0 are discarded", "[cpu][semantics]")
{
    using namespace enc;
    REQUIRE(run_program({addi(0, 0, 5), add(D, 0, 0), lui(0, 0x12345)}) == RunExit::Wfi);
    CHECK(h.x[0] == 0);
    CHECK(h.x[D] == 0);
}

TEST_CASE_METHOD(SemFixture, "lui sign-extends and auipc adds the pc", "[cpu][semantics]")
{
    using namespace enc;
    CHECK(exec(lui(D, 0x80000), 0) == 0xffff'ffff'8000'0000);
    CHECK(exec(lui(D, 0x12345), 0) == 0x1234'5000);
    CHECK(exec(auipc(D, 1), 0) == kCode + 0x1000);
    CHECK(exec(auipc(D, 0xfffff), 0) == kCode - 0x1000);
}

TEST_CASE_METHOD(SemFixture, "jal and jalr link the next pc and jalr clears bit 0 of the target", "[cpu][semantics]")
{
    using namespace enc;
    // 0: jal ra, +8   4: wfi (skipped)   8: jalr t2, t0, 1 (t0 = 16 -> target 16)   12: wfi   16: program end
    h.x[A] = kCode + 15;
    REQUIRE(run_program({jal(1, 8), wfi(), jalr(D, A, 1), wfi()}) == RunExit::Wfi);
    CHECK(finished());
    CHECK(h.x[1] == kCode + 4);
    CHECK(h.x[D] == kCode + 12);
}

TEST_CASE_METHOD(SemFixture, "jalr reads its source before writing the link to the same register", "[cpu][semantics]")
{
    using namespace enc;
    h.x[A] = kCode + 8;
    REQUIRE(run_program({jalr(A, A, 0), wfi()}) == RunExit::Wfi);
    CHECK(finished());
    CHECK(h.x[A] == kCode + 4);
}

TEST_CASE_METHOD(SemFixture, "branches compare signed or unsigned and fall through when not taken", "[cpu][semantics]")
{
    using namespace enc;
    struct Case {
        uint32_t insn;
        uint64_t a, b;
        bool taken;
    };
    const Case cases[] = {
        {beq(A, B, 8), 3, 3, true},     {beq(A, B, 8), 3, 4, false},
        {bne(A, B, 8), 3, 4, true},     {bne(A, B, 8), 3, 3, false},
        {blt(A, B, 8), kMinus1, 0, true}, {bltu(A, B, 8), kMinus1, 0, false},
        {bge(A, B, 8), 0, kMinus1, true}, {bgeu(A, B, 8), 0, kMinus1, false},
        {bge(A, B, 8), 5, 5, true},     {bgeu(A, B, 8), 5, 5, true},
    };
    for (const Case& c : cases) {
        // 0: branch +8   4: addi t2, zero, 1   8: end
        h.x[A] = c.a;
        h.x[B] = c.b;
        h.x[D] = 0;
        REQUIRE(run_program({c.insn, addi(D, 0, 1)}) == RunExit::Wfi);
        CHECK(h.x[D] == (c.taken ? 0 : 1));
    }
}

TEST_CASE_METHOD(SemFixture, "loads sign- or zero-extend and stores write only their width", "[cpu][semantics]")
{
    using namespace enc;
    poke64(kData, 0x8182'8384'8586'8788);
    h.x[A] = kData;
    CHECK(exec(lb(D, A, 0), kData) == 0xffff'ffff'ffff'ff88);
    CHECK(exec(lbu(D, A, 0), kData) == 0x88);
    CHECK(exec(lh(D, A, 0), kData) == 0xffff'ffff'ffff'8788);
    CHECK(exec(lhu(D, A, 0), kData) == 0x8788);
    CHECK(exec(lw(D, A, 0), kData) == 0xffff'ffff'8586'8788);
    CHECK(exec(lwu(D, A, 0), kData) == 0x8586'8788);
    CHECK(exec(ld(D, A, 0), kData) == 0x8182'8384'8586'8788);
    CHECK(exec(lbu(D, A, 7), kData) == 0x81);
    CHECK(exec(lw(D, A, -4), kData + 8) == 0xffff'ffff'8182'8384);

    exec(sb(B, A, 0), kData, 0x11);
    exec(sh(B, A, 2), kData, 0x2222);
    CHECK(peek(kData) == 0x8182'8384'2222'8711);
    exec(sw(B, A, 4), kData, 0xffff'ffff'3333'3333);
    CHECK(peek(kData) == 0x3333'3333'2222'8711);
    exec(sd(B, A, 8), kData, 0x0102'0304'0506'0708);
    CHECK(peek(kData + 8) == 0x0102'0304'0506'0708);
}

TEST_CASE_METHOD(SemFixture, "an illegal instruction traps with its encoding in mtval", "[cpu][semantics]")
{
    REQUIRE(run_program({0xffff'ffff}) == RunExit::Wfi);
    CHECK(trapped(Exception::IllegalInsn));
    CHECK(csr(csr::mepc) == kCode);
    CHECK(csr(csr::mtval) == 0xffff'ffff);
}

TEST_CASE_METHOD(SemFixture, "ecall and ebreak trap with the pc in mepc", "[cpu][semantics]")
{
    REQUIRE(run_program({enc::nop(), enc::ecall()}) == RunExit::Wfi);
    CHECK(trapped(Exception::EcallM));
    CHECK(csr(csr::mepc) == kCode + 4);
    REQUIRE(run_program({enc::ebreak()}) == RunExit::Wfi);
    CHECK(trapped(Exception::Breakpoint));
    CHECK(csr(csr::mtval) == kCode);
}
