// The JIT's frontend and IR passes (cpu/tcg/frontend.h, optimize.h): what a guest block lowers to,
// how x0 disappears, what constant folding and dead-temp removal leave, where blocks end.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "cpu/tcg/frontend.h"
#include "cpu/tcg/optimize.h"
#include "tests/cpu/asm_helpers.h"

using namespace locklab::rv;
using namespace locklab::rv::tcg;
using namespace locklab::rv::test::enc;

namespace {

constexpr uint64_t kPc = 0x8000'0000;

IrBlock lower(std::vector<uint32_t> words, bool opt, uint32_t side_exits = 0)
{
    std::vector<uint8_t> bytes(4096, 0);
    std::memcpy(bytes.data(), words.data(), words.size() * 4);
    IrBlock b = build_ir(kPc, decode_guest_block(bytes.data(), kPc, 64, side_exits));
    if (opt) optimize(b);
    return b;
}

size_t count(const IrBlock& b, IrOp op)
{
    size_t n = 0;
    for (const IrInsn& i : b.ops) n += i.op == op;
    return n;
}

}  // namespace

TEST_CASE("a block ends at its first control transfer and falls through with a direct exit", "[cpu][tcg]")
{
    const IrBlock b = lower({addi(5, 5, 1), jal(0, 16), addi(6, 6, 1)}, false);
    REQUIRE(b.guest.size() == 2);
    REQUIRE(b.ops.back().op == IrOp::GotoTb);
    CHECK(b.ops.back().target == kPc + 4 + 16);

    const IrBlock plain = lower({addi(5, 5, 1), addi(6, 6, 1), wfi()}, false);
    CHECK(plain.ops.back().op == IrOp::System);
    CHECK(plain.ops.back().guest_index == 2);
}

TEST_CASE("decoding stops before an instruction that straddles the page end", "[cpu][tcg]")
{
    std::vector<uint8_t> bytes(4096, 0);
    const uint32_t a = addi(5, 5, 1);
    std::memcpy(bytes.data() + 4086, &a, 4);
    std::memcpy(bytes.data() + 4090, &a, 4);
    std::memcpy(bytes.data() + 4094, &a, 2);  // the first half of a 32-bit instruction
    CHECK(decode_guest_block(bytes.data() + 4086, kPc + 4086, 64).size() == 2);
    CHECK(decode_guest_block(bytes.data() + 4094, kPc + 4094, 64).empty());
}

TEST_CASE("writes to x0 vanish and reads of x0 become the immediate 0", "[cpu][tcg]")
{
    const IrBlock b = lower({addi(0, 5, 1), add(6, 0, 7), ebreak()}, false);
    REQUIRE(b.ops.size() == 2);  // the add, then the ebreak
    CHECK(b.ops[0].op == IrOp::Add);
    CHECK(b.ops[0].dst == 6);
    CHECK(b.ops[0].a.is_imm);
    CHECK(b.ops[0].a.imm == 0);
}

TEST_CASE("constant folding turns a chain of immediates into moves of the result", "[cpu][tcg]")
{
    // li t0,5; addi t1,t0,3; slli t2,t1,4; beq t0,t1 (never) -> one goto_tb to the fall-through
    const IrBlock b = lower({addi(5, 0, 5), addi(6, 5, 3), slli(7, 6, 4), beq(5, 6, 64)}, true);
    REQUIRE(b.ops.size() == 4);
    CHECK(b.ops[0].op == IrOp::Mov);
    CHECK(b.ops[1].op == IrOp::Mov);
    CHECK(b.ops[1].a.imm == 8);
    CHECK(b.ops[2].op == IrOp::Mov);
    CHECK(b.ops[2].a.imm == 128);
    CHECK(b.ops[3].op == IrOp::GotoTb);
    CHECK(b.ops[3].target == kPc + 16);
}

TEST_CASE("folding keeps guest registers unknown after a load or a helper call", "[cpu][tcg]")
{
    const IrBlock b = lower({addi(5, 0, 5), ld(5, 10, 0), addi(6, 5, 1), addi(7, 0, 9), mulh(7, 7, 7), addi(8, 7, 1),
                             ebreak()},
                            true);
    CHECK(count(b, IrOp::Load) == 1);
    CHECK(count(b, IrOp::Call) == 1);
    CHECK(count(b, IrOp::Add) == 2);  // t1 = t0 + 1 and s0 = t2 + 1 stay computations
}

TEST_CASE("identities become moves and unused temps are removed", "[cpu][tcg]")
{
    // srliw to x0 leaves a dead Ext32u; ori with 0 is a move
    const IrBlock b = lower({srliw(0, 5, 3), ori(6, 5, 0), ebreak()}, true);
    REQUIRE(b.ops.size() == 2);
    CHECK(b.ops[0].op == IrOp::Mov);
    CHECK(b.ops[0].dst == 6);
    CHECK(b.ops[0].a.temp == 5);
}

TEST_CASE("a load into x0 still happens (it may fault or touch a device)", "[cpu][tcg]")
{
    const IrBlock b = lower({lw(0, 5, 0), ebreak()}, true);
    CHECK(count(b, IrOp::Load) == 1);
}

TEST_CASE("operations the IR does not express are helper calls into the interpreter's semantics", "[cpu][tcg]")
{
    const IrBlock b = lower({mulh(5, 6, 7), amo_w(Amo::ADD, 8, 9, 10), remu(11, 12, 13), csrrs(5, 0x300, 0)}, false);
    REQUIRE(count(b, IrOp::Call) == 2);
    CHECK(count(b, IrOp::RemU) == 1);
    CHECK(b.ops[0].dst == 5);
    CHECK(b.ops.back().op == IrOp::System);
    CHECK(b.dump().find("mulh") != std::string::npos);
}

TEST_CASE("the folder's arithmetic matches RV64 semantics at the edges", "[cpu][tcg]")
{
    CHECK(fold(IrOp::Sar, Cond::EQ, 0x8000'0000'0000'0000ull, 63) == ~uint64_t(0));
    CHECK(fold(IrOp::Shl, Cond::EQ, 1, 64) == 1);  // shift amounts are taken mod 64
    CHECK(fold(IrOp::Ext32s, Cond::EQ, 0x8000'0000, 0) == 0xffff'ffff'8000'0000ull);
    CHECK(fold(IrOp::Ext32u, Cond::EQ, ~uint64_t(0), 0) == 0xffff'ffffull);
    CHECK(fold(IrOp::SetCond, Cond::LT, uint64_t(-1), 0) == 1);
    CHECK(fold(IrOp::SetCond, Cond::LTU, uint64_t(-1), 0) == 0);
    // The M extension's division table (the folder takes it from cpu/semantics.h).
    constexpr uint64_t kMin = 0x8000'0000'0000'0000ull;
    CHECK(fold(IrOp::Div, Cond::EQ, 7, 0) == ~uint64_t(0));
    CHECK(fold(IrOp::DivU, Cond::EQ, 7, 0) == ~uint64_t(0));
    CHECK(fold(IrOp::Rem, Cond::EQ, uint64_t(-7), 0) == uint64_t(-7));
    CHECK(fold(IrOp::RemU, Cond::EQ, 7, 0) == 7);
    CHECK(fold(IrOp::Div, Cond::EQ, kMin, uint64_t(-1)) == kMin);
    CHECK(fold(IrOp::Rem, Cond::EQ, kMin, uint64_t(-1)) == 0);
    CHECK(fold(IrOp::Div, Cond::EQ, uint64_t(-7), 2) == uint64_t(-3));  // rounds toward zero
    CHECK(fold(IrOp::Rem, Cond::EQ, uint64_t(-7), 2) == uint64_t(-1));
}

TEST_CASE("32-bit division reads its operands extended and sign-extends the result", "[cpu][tcg]")
{
    // li t0,-8 (as 32 bits: 0xfffffff8); li t1,2; divuw t2,t0,t1; divw a0,t0,t1
    const IrBlock b = lower({addi(5, 0, -8), addi(6, 0, 2), divuw(7, 5, 6), divw(10, 5, 6), ebreak()}, true);
    CHECK(count(b, IrOp::Call) == 0);
    REQUIRE(b.ops.size() == 5);
    CHECK(b.ops[2].a.imm == 0x7fff'fffcull);         // 0xfffffff8 / 2, as unsigned 32-bit, positive
    CHECK(b.ops[3].a.imm == uint64_t(int64_t(-4)));  // -8 / 2
}

TEST_CASE("a superblock goes on past conditional branches, whose taken side leaves it", "[cpu][tcg]")
{
    const std::vector<uint32_t> code = {addi(5, 5, 1), beq(5, 6, 64),  addi(6, 6, 1), bne(6, 7, 64),
                                        addi(7, 7, 1), blt(7, 8, 64),  addi(8, 8, 1), jal(0, -28)};
    // Without side exits the block ends at the first branch.
    CHECK(lower(code, false).guest.size() == 2);
    // With two side exits it goes on past beq and bne and ends at blt, a two-way terminator.
    const IrBlock b = lower(code, false, 2);
    REQUIRE(b.guest.size() == 6);
    CHECK(count(b, IrOp::ExitIf) == 2);
    CHECK(b.ops.back().op == IrOp::Branch);
    CHECK(b.ops.back().fallthrough == kPc + 24);
    const IrInsn& first = b.ops[1];
    CHECK(first.op == IrOp::ExitIf);
    CHECK(first.guest_index == 1);
    CHECK(first.target == kPc + 4 + 64);
    CHECK(b.dump().find("exit_if.eq x5, x6 -> 0x80000044") != std::string::npos);
    // Enough side exits: the block runs to the unconditional jump.
    const IrBlock all = lower(code, false, 6);
    CHECK(all.guest.size() == 8);
    CHECK(count(all, IrOp::ExitIf) == 3);
    CHECK(all.ops.back().op == IrOp::GotoTb);
    // A backward branch (a loop's) ends the superblock.
    const IrBlock loop = lower({addi(5, 5, 1), beq(5, 6, 64), addi(6, 6, -1), bne(6, 0, -12), addi(7, 7, 1), ebreak()},
                               false, 6);
    CHECK(loop.guest.size() == 4);
    CHECK(loop.ops.back().op == IrOp::Branch);
    CHECK(count(loop, IrOp::ExitIf) == 1);
}

TEST_CASE("a side exit on known values disappears or ends the block there", "[cpu][tcg]")
{
    // li t0,1; beq t0,x0 (never: dropped); addi t1,t1,1; bne t0,x0 (always: the block ends there)
    const IrBlock b = lower({addi(5, 0, 1), beq(5, 0, 64), addi(6, 6, 1), bne(5, 0, 32), addi(7, 7, 1), ebreak()},
                            true, 6);
    CHECK(count(b, IrOp::ExitIf) == 0);
    REQUIRE(b.ops.back().op == IrOp::GotoTb);
    CHECK(b.ops.back().target == kPc + 12 + 32);
    CHECK(b.ops.back().guest_index == 3);  // the bne: the instructions after it never run
    CHECK(b.ops.size() == 3);              // li t0, addi t1, the jump
}

TEST_CASE("an immediate first operand of a commutative operation moves last, so x0 + r is a move", "[cpu][tcg]")
{
    const IrBlock b = lower({add(6, 0, 7), and_(8, 0, 9), sub(10, 0, 11), ebreak()}, true);
    REQUIRE(b.ops.size() == 4);
    CHECK(b.ops[0].op == IrOp::Mov);
    CHECK(b.ops[0].a.temp == 7);
    CHECK(b.ops[1].op == IrOp::Mov);  // 0 & r is 0
    CHECK(b.ops[1].a.is_imm);
    CHECK(b.ops[1].a.imm == 0);
    CHECK(b.ops[2].op == IrOp::Sub);  // not commutative: stays 0 - r
    CHECK(b.ops[2].a.is_imm);
}

TEST_CASE("a branch over one register computation becomes a Select, over anything else a side exit", "[cpu][tcg]")
{
    // beq t0,t1 over `addi t2,t2,1`: the addi computes into a local, the Select keeps t2's old value
    // (and retires one instruction fewer) when the branch is taken.
    const IrBlock b = lower({beq(5, 6, 8), addi(7, 7, 1), addi(8, 8, 1), ebreak()}, false, 6);
    REQUIRE(count(b, IrOp::Select) == 1);
    CHECK(count(b, IrOp::ExitIf) == 0);
    const IrInsn& sel = b.ops[1];
    REQUIRE(sel.op == IrOp::Select);
    CHECK(sel.cond == Cond::EQ);
    CHECK(sel.a.temp == 5);
    CHECK(sel.b.temp == 6);
    CHECK(sel.dst == 7);
    CHECK(sel.c.temp == 7);
    CHECK(sel.d.temp == b.ops[0].dst);
    CHECK(!is_global(b.ops[0].dst));  // the skipped addi wrote a local, not t2
    CHECK(sel.unretire == 1);
    CHECK(sel.guest_index == 1);
    CHECK(b.dump().find("select.eq x7 x5, x6 ? x7 : t0 unretire 1") != std::string::npos);
    // A W-form's two operations both go to locals; the branch may read the register it guards.
    const IrBlock w = lower({bne(7, 0, 8), addiw(7, 7, 5), ebreak()}, false, 6);
    REQUIRE(count(w, IrOp::Select) == 1);
    CHECK(w.ops[2].a.temp == 7);
    // Not a Select: a load (it may fault), a write to x0, a branch over two instructions, a branch
    // to somewhere else, a division (its special cases are out of line).
    CHECK(count(lower({beq(5, 6, 8), ld(7, 5, 0), ebreak()}, false, 6), IrOp::ExitIf) == 1);
    CHECK(count(lower({beq(5, 6, 8), addi(0, 7, 1), ebreak()}, false, 6), IrOp::ExitIf) == 1);
    CHECK(count(lower({beq(5, 6, 12), addi(7, 7, 1), addi(8, 8, 1), ebreak()}, false, 6), IrOp::ExitIf) == 1);
    CHECK(count(lower({beq(5, 6, 4), addi(7, 7, 1), ebreak()}, false, 6), IrOp::Select) == 0);
    CHECK(count(lower({beq(5, 6, 8), divu(7, 7, 5), ebreak()}, false, 6), IrOp::ExitIf) == 1);
    // With no side exits allowed the block ends at the branch, as before.
    CHECK(lower({beq(5, 6, 8), addi(7, 7, 1), ebreak()}, false, 0).guest.size() == 1);
    // A skipped constant (li) folds into the Select's value.
    const IrBlock k = lower({beq(5, 6, 8), addi(7, 0, 42), ebreak()}, true, 6);
    REQUIRE(count(k, IrOp::Select) == 1);
    CHECK(k.ops[0].d.is_imm);
    CHECK(k.ops[0].d.imm == 42);
}

TEST_CASE("a shift by 1..3 and an add that overwrites its result become one AddShl", "[cpu][tcg]")
{
    // Array indexing: slli a5,a5,2; add a5,a5,a0 -> a5 = a0 + (a5 << 2).
    const IrBlock index = lower({slli(15, 15, 2), add(15, 15, 10), ebreak()}, true);
    CHECK(count(index, IrOp::Shl) == 0);
    CHECK(index.dump().find("addshl x15 x10, x15 << 2") != std::string::npos);

    // x * 3 past an unrelated operation: slli a4,a5,1; andi a3,a5,1; add a4,a4,a5.
    const IrBlock times3 = lower({slli(14, 15, 1), andi(13, 15, 1), add(14, 14, 15), ebreak()}, true);
    CHECK(times3.dump().find("addshl x14 x15, x15 << 1") != std::string::npos);
    CHECK(count(times3, IrOp::And) == 1);

    // Not fused: the shifted value is read before the add, the shifted register changes in
    // between, the add does not overwrite it (the shift's result stays live), a shift by 4, a load
    // in between (a fault would show the shifted value).
    for (const std::vector<uint32_t>& words : std::vector<std::vector<uint32_t>>{
             {slli(14, 15, 1), addi(13, 14, 1), add(14, 14, 15), ebreak()},
             {slli(14, 15, 1), addi(15, 15, 1), add(14, 14, 15), ebreak()},
             {slli(14, 15, 1), add(13, 14, 15), ebreak()},
             {slli(14, 15, 4), add(14, 14, 15), ebreak()},
             {slli(14, 15, 1), lw(13, 12, 0), add(14, 14, 15), ebreak()},
         }) {
        const IrBlock b = lower(words, true);
        INFO(b.dump());
        CHECK(count(b, IrOp::AddShl) == 0);
        CHECK(count(b, IrOp::Shl) == 1);
    }
}
