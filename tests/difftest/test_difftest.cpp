// Tests of the differential tester itself: reproducible programs, sound shrinking, encoders that
// mean what they say, and above all that a wrong engine is caught and shrunk to the culprit.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>

#include "cpu/csr_defs.h"
#include "cpu/decoded_insn.h"
#include "cpu/privileged.h"
#include "tests/cpu/asm_helpers.h"
#include "tests/difftest/generator.h"
#include "tests/difftest/harness.h"
#include "tests/difftest/handler.h"
#include "tests/difftest/layout.h"
#include "tests/difftest/machine.h"
#include "tests/difftest/report.h"
#include "tests/difftest/rvc_encode.h"
#include "tests/difftest/shrink.h"

namespace locklab::rv::difftest {
namespace {

std::vector<uint32_t> encodings(const Program& p)
{
    std::vector<uint32_t> out;
    const auto addrs = p.addresses();
    for (size_t i = 0; i < p.body.size(); ++i) out.push_back(p.encode(i, addrs));
    return out;
}

// `step` with ADD computing rs1 - rs2: the bug the tester must find.
std::unique_ptr<Engine> add_is_sub_engine()
{
    return make_step_engine([](Hart& h, const DecodedInsn& d) -> std::optional<bool> {
        if (d.op != Op::ADD) return std::nullopt;
        h.x[d.rd] = h.x[d.rs1] - h.x[d.rs2];
        return true;
    });
}

// The first generated program (from seed 1 on) on which `buggy` differs from the interpreter,
// shrunk; REQUIREs one among the first `tries` seeds.
struct Caught {
    Program found;
    ShrinkResult shrunk;
    std::vector<Op> ops;  // the reproducer's operations, without the exit ecall
};
// `isolated`: compare in a forked child (compare_isolated), for engines that crash.
Caught catch_and_shrink(Engine& buggy, uint64_t tries = 60, bool isolated = false)
{
    auto interp = make_engine("interp");
    const auto differs = [&](const Program& q) {
        return (isolated ? compare_isolated(q, *interp, buggy) : compare(q, *interp, buggy)).differ;
    };
    uint64_t seed = 1;
    while (!differs(generate(seed))) {
        ++seed;
        REQUIRE(seed < tries);
    }
    Caught c{generate(seed), {}, {}};
    c.shrunk = shrink(c.found, differs);
    const auto bits = encodings(c.shrunk.program);
    for (size_t i = 0; i + 1 < bits.size(); ++i) c.ops.push_back(decode(bits[i]).op);
    CHECK(differs(c.shrunk.program));
    return c;
}

bool has(const std::vector<Op>& ops, std::initializer_list<Op> wanted)
{
    for (Op o : ops) {
        for (Op w : wanted) {
            if (o == w) return true;
        }
    }
    return false;
}

}  // namespace

TEST_CASE("a program is generated again from its seed, and other seeds give other programs", "[difftest]")
{
    const Program a = generate(42), b = generate(42), c = generate(43);
    CHECK(encodings(a) == encodings(b));
    CHECK(a.init.data == b.init.data);
    CHECK(a.code_base == b.code_base);
    CHECK(encodings(a) != encodings(c));
    CHECK(a.size() >= 200);
}

TEST_CASE("generated programs finish on the interpreter and the step engine agrees", "[difftest]")
{
    auto interp = make_engine("interp");
    auto step = make_engine("step");
    int finished = 0;
    for (uint64_t seed = 100; seed < 130; ++seed) {
        const Verdict v = compare(generate(seed), *interp, *step);
        finished += v.valid;
        INFO("seed " << seed);
        for (const std::string& d : v.differences) INFO(d);
        CHECK_FALSE(v.differ);
    }
    CHECK(finished >= 27);  // a dropped loop counter may not finish; generated programs do
}

TEST_CASE("the tester catches an engine whose ADD subtracts and shrinks the program to that ADD", "[difftest]")
{
    auto buggy = add_is_sub_engine();
    const Caught c = catch_and_shrink(*buggy);
    INFO(listing(c.shrunk.program) << describe_initial_state(c.shrunk.program));
    REQUIRE(c.ops.size() >= 1);
    CHECK(c.ops.size() <= 2);  // the ADD, perhaps with the instruction that gives rs2 a nonzero value
    CHECK(std::count(c.ops.begin(), c.ops.end(), Op::ADD) == 1);
    CHECK(c.shrunk.program.size() < c.found.size());
}

TEST_CASE("dropping instructions keeps jumps pointing at the next instruction kept", "[difftest]")
{
    Program p;
    p.code_base = kCode;
    p.body = {{test::enc::jal(0, 0), 4, Fixup::Jal, 2},
              {test::enc::nop(), 4},
              {test::enc::nop(), 4},
              {cenc::c_nop(), 2},
              {test::enc::ecall(), 4}};
    CHECK(decode(p.encode(0, p.addresses())).imm == 8);
    const Program q = p.subset({true, false, false, true, true});  // the target (2) goes: 3 is next
    REQUIRE(q.body.size() == 3);
    CHECK(q.body[0].target == 1);
    CHECK(decode(q.encode(0, q.addresses())).imm == 4);
    const Program r = p.subset({true, false, false, false, false});  // the exit always stays
    REQUIRE(r.body.size() == 2);
    CHECK(r.body[0].target == 1);
}

TEST_CASE("the compressed encoders give the operations and operands the decoder reads", "[difftest][rvc]")
{
    struct Case {
        uint16_t bits;
        Op op;
        uint8_t rd, rs1, rs2;
        int32_t imm;
    };
    const Case cases[] = {
        {cenc::c_addi(10, -7), Op::ADDI, 10, 10, 0, -7},
        {cenc::c_addiw(11, 31), Op::ADDIW, 11, 11, 0, 31},
        {cenc::c_li(12, -32), Op::ADDI, 12, 0, 0, -32},
        {cenc::c_lui(13, -1), Op::LUI, 13, 0, 0, -4096},
        {cenc::c_slli(14, 63), Op::SLLI, 14, 14, 0, 63},
        {cenc::c_srli(9, 33), Op::SRLI, 9, 9, 0, 33},
        {cenc::c_srai(15, 1), Op::SRAI, 15, 15, 0, 1},
        {cenc::c_andi(10, -3), Op::ANDI, 10, 10, 0, -3},
        {cenc::c_subw(11, 12), Op::SUBW, 11, 11, 12, 0},
        {cenc::c_and(8, 15), Op::AND, 8, 8, 15, 0},
        {cenc::c_mv(5, 6), Op::ADD, 5, 0, 6, 0},
        {cenc::c_add(5, 7), Op::ADD, 5, 5, 7, 0},
        {cenc::c_addi4spn(9, 1020), Op::ADDI, 9, 2, 0, 1020},
        {cenc::c_lw(10, 8, 124), Op::LW, 10, 8, 0, 124},
        {cenc::c_ld(11, 8, 248), Op::LD, 11, 8, 0, 248},
        {cenc::c_sw(12, 8, 68), Op::SW, kZeroSink, 8, 12, 68},
        {cenc::c_sd(13, 8, 136), Op::SD, kZeroSink, 8, 13, 136},
        {cenc::c_lwsp(1, 252), Op::LW, 1, 2, 0, 252},
        {cenc::c_ldsp(3, 504), Op::LD, 3, 2, 0, 504},
        {cenc::c_swsp(4, 132), Op::SW, kZeroSink, 2, 4, 132},
        {cenc::c_sdsp(31, 264), Op::SD, kZeroSink, 2, 31, 264},
        {cenc::c_jalr(29), Op::JALR, 1, 29, 0, 0},
        {cenc::set_cj_offset(cenc::c_j(), -2046), Op::JAL, kZeroSink, 0, 0, -2046},
        {cenc::set_cb_offset(cenc::c_bnez(9), 254), Op::BNE, kZeroSink, 9, 0, 254},
        {cenc::set_cb_offset(cenc::c_beqz(15), -256), Op::BEQ, kZeroSink, 15, 0, -256},
    };
    for (const Case& c : cases) {
        const DecodedInsn d = decode(c.bits);
        INFO("encoding " << std::hex << c.bits);
        CHECK(d.len == 2);
        CHECK(d.op == c.op);
        CHECK(unsigned(d.rd) == c.rd);
        CHECK(unsigned(d.rs1) == c.rs1);
        if (c.op == Op::ADD || c.op == Op::AND || c.op == Op::SUBW || d.op == Op::SW || d.op == Op::SD) {
            CHECK(unsigned(d.rs2) == c.rs2);
        }
        CHECK(d.imm == c.imm);
    }
}

}  // namespace locklab::rv::difftest

namespace locklab::rv::difftest {

TEST_CASE("the tester catches an engine whose SC never succeeds and shrinks to an LR/SC pair", "[difftest]")
{
    auto buggy = make_step_engine([](Hart& h, const DecodedInsn& d) -> std::optional<bool> {
        if (d.op != Op::SC_W && d.op != Op::SC_D) return std::nullopt;
        h.resv_addr = ~uint64_t(0);
        h.x[d.rd] = 1;
        return true;
    });
    const Caught c = catch_and_shrink(*buggy);
    INFO(listing(c.shrunk.program));
    CHECK(has(c.ops, {Op::SC_W, Op::SC_D}));
    CHECK(has(c.ops, {Op::LR_W, Op::LR_D}));
    CHECK(c.ops.size() <= 4);  // t5 set-up, lr, sc (and perhaps the SC's source register)
}

TEST_CASE("the tester catches an engine that loses software-pending interrupts", "[difftest]")
{
    // Every CSR instruction also clears mip: an interrupt raised by software is never taken.
    auto buggy = make_step_engine([](Hart& h, const DecodedInsn& d) -> std::optional<bool> {
        if (op_flags(d.op) & OPF_SYSTEM && d.op >= Op::CSRRW && d.op <= Op::CSRRCI) {
            const bool ok = exec_csr(h, d);
            h.mip.store(0);
            return ok;
        }
        return std::nullopt;
    });
    const Caught c = catch_and_shrink(*buggy, 200);
    INFO(listing(c.shrunk.program));
    CHECK(has(c.ops, {Op::CSRRS, Op::CSRRSI, Op::CSRRW, Op::CSRRWI}));
    CHECK(c.ops.size() <= 8);
}

TEST_CASE("a difference report names the seed and lists the reproducer disassembled and as assembly", "[difftest]")
{
    auto interp = make_engine("interp");
    auto buggy = add_is_sub_engine();
    const Caught c = catch_and_shrink(*buggy);
    const std::string text = difference_report(c.found, compare(c.found, *interp, *buggy), c.shrunk,
                                               compare(c.shrunk.program, *interp, *buggy));
    CHECK_THAT(text, Catch::Contains("--seed " + std::to_string(c.found.seed) + " --programs 1"));
    CHECK_THAT(text, Catch::Contains(listing(c.shrunk.program)));
    CHECK_THAT(text, Catch::Contains(assembly(c.shrunk.program)));
    CHECK_THAT(text, Catch::Contains(describe_initial_state(c.shrunk.program)));
    CHECK_THAT(text, Catch::Contains("step+mutation"));
}

}  // namespace locklab::rv::difftest

namespace locklab::rv::difftest {

TEST_CASE("a +kick engine keeps being interrupted by exit requests and still finishes the program", "[difftest]")
{
    auto kicked = make_engine("interp+kick");
    REQUIRE(kicked);
    CHECK(kicked->name() == "interp+kick");
    // Whether a kick lands inside a run() depends on the host scheduler: run programs until some have.
    // On a loaded host the kicker thread may get little CPU: keep going (up to 30 s) until enough
    // kicks have landed, rather than for a fixed number of programs.
    int exit_requests = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (uint64_t seed = 7; exit_requests < 10 && (seed < 40 || std::chrono::steady_clock::now() < deadline); ++seed) {
        const Program p = generate(seed, {.length = 2000});
        Machine m(p);
        Hart& h = m.hart();
        kicked->attach(h);
        for (int calls = 0; calls < 100000 && !(h.pc == done_pc() && h.wfi); ++calls) {
            exit_requests += kicked->run(h, 200) == RunExit::ExitRequest;
        }
        INFO("seed " << seed);
        CHECK(h.pc == done_pc());
    }
    CHECK(exit_requests >= 10);
}

}  // namespace locklab::rv::difftest

namespace locklab::rv::difftest {

TEST_CASE("an engine that crashes the host is reported as a crash and not the end of the tester", "[difftest]")
{
    auto interp = make_engine("interp");
    auto crashing = make_step_engine([](Hart&, const DecodedInsn& d) -> std::optional<bool> {
        if (d.op == Op::ADD) std::abort();
        return std::nullopt;
    });
    const Caught c = catch_and_shrink(*crashing, 60, true);
    const Verdict v = compare_isolated(c.found, *interp, *crashing);
    REQUIRE(v.differences.size() == 1);
    CHECK_THAT(v.differences[0], Catch::Contains("host crash: signal 6") && Catch::Contains("step+mutation"));
    INFO(listing(c.shrunk.program));
    REQUIRE(c.ops.size() >= 1);
    // Shrunk to the ADD (and a pinned fence.i if it is a self-modify slot), or, when the ADD only
    // exists at run time (written over the next instruction by a patch_ahead unit: lui, addiw,
    // auipc, addi, sw, then the slot), to that unit.
    const bool direct = c.ops[0] == Op::ADD && c.ops.size() <= 2;
    const bool patched = c.ops.size() <= 6 && std::find(c.ops.begin(), c.ops.end(), Op::SW) != c.ops.end();
    CHECK((direct || patched));
    // And a program without the crash gives compare()'s verdict.
    CHECK_FALSE(compare_isolated(c.found, *interp, *interp).differ);
}

}  // namespace locklab::rv::difftest
