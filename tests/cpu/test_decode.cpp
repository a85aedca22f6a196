// The 32-bit decoder: field placement, immediate sign extension per format, reserved encodings.
// Encodings come from GNU as (the assembly is next to each one).
#include <catch2/catch.hpp>

#include <random>

#include "cpu/decoded_insn.h"
#include "tests/cpu/decode_fields_match.h"

using namespace locklab::rv;
using locklab::rv::test::Fields;

namespace {
Fields fields(uint32_t bits) { return Fields::of(decode(bits)); }
bool is_illegal(uint32_t bits) { return decode(bits).op == Op::ILLEGAL; }
}  // namespace

TEST_CASE("decode places rd, rs1 and rs2 of an R-type instruction and keeps the encoding", "[cpu][decode]")
{
    const DecodedInsn d = decode(0x01de0db3);  // add s11,t3,t4
    CHECK(Fields::of(d) == Fields{Op::ADD, 27, 28, 29});
    CHECK(d.len == 4);
    CHECK(d.raw == 0x01de0db3);
}

TEST_CASE("a destination of x0, or no destination at all, decodes to the zero sink", "[cpu][decode]")
{
    CHECK(fields(0x00000013) == Fields{Op::ADDI, kZeroSink, 0, 0, 0});    // addi zero,zero,0
    CHECK(fields(0x0010006f) == Fields{Op::JAL, kZeroSink, 0, 0, 2048});  // jal zero,.+2048
    CHECK(decode(0x81312023).rd == kZeroSink);                            // sw s3,-2048(sp)
    CHECK(decode(0xfeb54ee3).rd == kZeroSink);                            // blt a0,a1,.-4
}

TEST_CASE("I-type immediates are sign-extended from bit 31", "[cpu][decode]")
{
    CHECK(fields(0x80058513) == Fields{Op::ADDI, 10, 11, 0, -2048});   // addi a0,a1,-2048
    CHECK(fields(0x7ff58513) == Fields{Op::ADDI, 10, 11, 0, 2047});    // addi a0,a1,2047
    CHECK(fields(0xfff58513) == Fields{Op::ADDI, 10, 11, 0, -1});      // addi a0,a1,-1
    CHECK(fields(0x800300e7) == Fields{Op::JALR, 1, 6, 0, -2048});     // jalr ra,-2048(t1)
}

TEST_CASE("S-type immediates join inst[31:25] and inst[11:7] and are sign-extended", "[cpu][decode]")
{
    CHECK(fields(0x81312023) == Fields{Op::SW, kZeroSink, 2, 19, -2048});  // sw s3,-2048(sp)
    CHECK(fields(0x7e113fa3) == Fields{Op::SD, kZeroSink, 2, 1, 2047});    // sd ra,2047(sp)
    CHECK(fields(0xfea58fa3) == Fields{Op::SB, kZeroSink, 11, 10, -1});    // sb a0,-1(a1)
}

TEST_CASE("B-type and J-type offsets reach their extremes in both directions", "[cpu][decode]")
{
    CHECK(fields(0x7eb50fe3) == Fields{Op::BEQ, kZeroSink, 10, 11, 4094});   // beq a0,a1,.+4094
    CHECK(fields(0x80b51063) == Fields{Op::BNE, kZeroSink, 10, 11, -4096});  // bne a0,a1,.-4096
    CHECK(fields(0xfeb54ee3) == Fields{Op::BLT, kZeroSink, 10, 11, -4});     // blt a0,a1,.-4
    CHECK(fields(0x7ffff0ef) == Fields{Op::JAL, 1, 0, 0, 1048574});          // jal ra,.+1048574
    CHECK(fields(0x800000ef) == Fields{Op::JAL, 1, 0, 0, -1048576});         // jal ra,.-1048576
}

TEST_CASE("U-type immediates carry the shifted value, sign-extended as RV64 does", "[cpu][decode]")
{
    CHECK(fields(0x12345537) == Fields{Op::LUI, 10, 0, 0, 0x12345000});       // lui a0,0x12345
    CHECK(fields(0xfffff537) == Fields{Op::LUI, 10, 0, 0, -4096});            // lui a0,0xfffff
    CHECK(fields(0x80000537) == Fields{Op::LUI, 10, 0, 0, INT32_MIN});        // lui a0,0x80000
    CHECK(fields(0x80000297) == Fields{Op::AUIPC, 5, 0, 0, INT32_MIN});       // auipc t0,0x80000
}

TEST_CASE("every load and store width decodes; the funct3 values RV64 leaves free are illegal", "[cpu][decode]")
{
    const Op loads[8] = {Op::LB, Op::LH, Op::LW, Op::LD, Op::LBU, Op::LHU, Op::LWU, Op::ILLEGAL};
    const Op stores[8] = {Op::SB, Op::SH, Op::SW, Op::SD, Op::ILLEGAL, Op::ILLEGAL, Op::ILLEGAL, Op::ILLEGAL};
    for (uint32_t f3 = 0; f3 < 8; ++f3) {
        INFO("funct3 " << f3);
        CHECK(decode(0x00058503 | f3 << 12).op == loads[f3]);   // l? a0,0(a1)
        CHECK(decode(0x00a58023 | f3 << 12).op == stores[f3]);  // s? a0,0(a1)
    }
}

TEST_CASE("branches decode by funct3 and funct3 2 and 3 are illegal", "[cpu][decode]")
{
    const Op branches[8] = {Op::BEQ, Op::BNE, Op::ILLEGAL, Op::ILLEGAL, Op::BLT, Op::BGE, Op::BLTU, Op::BGEU};
    for (uint32_t f3 = 0; f3 < 8; ++f3) {
        INFO("funct3 " << f3);
        CHECK(decode(0x00b50063 | f3 << 12).op == branches[f3]);  // b?? a0,a1,.
    }
    CHECK(is_illegal(0x00001067));  // jalr with funct3 1
}

TEST_CASE("RV64 immediate shifts take a 6-bit shamt, the word forms a 5-bit one", "[cpu][decode]")
{
    CHECK(fields(0x03f91893) == Fields{Op::SLLI, 17, 18, 0, 63});   // slli a7,s2,63
    CHECK(fields(0x020a5993) == Fields{Op::SRLI, 19, 20, 0, 32});   // srli s3,s4,32
    CHECK(fields(0x43fc5b93) == Fields{Op::SRAI, 23, 24, 0, 63});   // srai s7,s8,63
    CHECK(fields(0x01f7971b) == Fields{Op::SLLIW, 14, 15, 0, 31});  // slliw a4,a5,31
    CHECK(fields(0x0018d81b) == Fields{Op::SRLIW, 16, 17, 0, 1});   // srliw a6,a7,1
    CHECK(fields(0x41f9d91b) == Fields{Op::SRAIW, 18, 19, 0, 31});  // sraiw s2,s3,31

    CHECK(is_illegal(0x04091893));  // slli with funct6 = 000001
    CHECK(is_illegal(0x820a5993));  // srli with funct6 = 100000
    CHECK(is_illegal(0x0217971b));  // slliw with shamt[5] set: reserved on RV64
    CHECK(is_illegal(0x0218d81b));  // srliw with shamt[5] set
    CHECK(is_illegal(0x4218d81b));  // sraiw with shamt[5] set
    CHECK(is_illegal(0x0000a01b));  // OP-IMM-32 funct3 2
}

TEST_CASE("OP and OP-32 decode by funct7 and funct3, other combinations are illegal", "[cpu][decode]")
{
    using enum Op;
    const Op base[8] = {ADD, SLL, SLT, SLTU, XOR, SRL, OR, AND};
    const Op alt[8] = {SUB, ILLEGAL, ILLEGAL, ILLEGAL, ILLEGAL, SRA, ILLEGAL, ILLEGAL};
    const Op muldiv[8] = {MUL, MULH, MULHSU, MULHU, DIV, DIVU, REM, REMU};
    const Op base_w[8] = {ADDW, SLLW, ILLEGAL, ILLEGAL, ILLEGAL, SRLW, ILLEGAL, ILLEGAL};
    const Op alt_w[8] = {SUBW, ILLEGAL, ILLEGAL, ILLEGAL, ILLEGAL, SRAW, ILLEGAL, ILLEGAL};
    const Op muldiv_w[8] = {MULW, ILLEGAL, ILLEGAL, ILLEGAL, DIVW, DIVUW, REMW, REMUW};
    for (uint32_t f3 = 0; f3 < 8; ++f3) {
        INFO("funct3 " << f3);
        const uint32_t op = 0x00c58533 | f3 << 12, op32 = 0x00c5853b | f3 << 12;  // ? a0,a1,a2
        CHECK(fields(op | 0x00 << 25) == (base[f3] == ILLEGAL ? Fields{ILLEGAL} : Fields{base[f3], 10, 11, 12}));
        CHECK(decode(op | 0x20 << 25).op == alt[f3]);
        CHECK(decode(op | 0x01 << 25).op == muldiv[f3]);
        CHECK(decode(op32 | 0x00 << 25).op == base_w[f3]);
        CHECK(decode(op32 | 0x20 << 25).op == alt_w[f3]);
        CHECK(decode(op32 | 0x01 << 25).op == muldiv_w[f3]);
        for (uint32_t f7 : {0x02u, 0x10u, 0x21u, 0x40u, 0x7fu}) {
            CHECK(is_illegal(op | f7 << 25));
            CHECK(is_illegal(op32 | f7 << 25));
        }
    }
}

TEST_CASE("A: funct5 selects the operation, funct3 the width, and aq/rl land in flags", "[cpu][decode]")
{
    CHECK(fields(0x1605a52f) == Fields{Op::LR_W, 10, 11, 0, 0, INSN_AQ | INSN_RL});  // lr.w.aqrl a0,(a1)
    CHECK(fields(0x1a84b3af) == Fields{Op::SC_D, 7, 9, 8, 0, INSN_RL});              // sc.d.rl t2,s0,(s1)
    CHECK(fields(0xe4b6352f) == Fields{Op::AMOMAXU_D, 10, 12, 11, 0, INSN_AQ});      // amomaxu.d.aq a0,a1,(a2)
    CHECK(fields(0x08b6252f) == Fields{Op::AMOSWAP_W, 10, 12, 11, 0, 0});            // amoswap.w a0,a1,(a2)

    using enum Op;
    struct Amo {
        uint32_t funct5;
        Op word, doubleword;
    };
    const Amo amos[] = {
        {0x00, AMOADD_W, AMOADD_D}, {0x01, AMOSWAP_W, AMOSWAP_D}, {0x02, LR_W, LR_D},
        {0x03, SC_W, SC_D},         {0x04, AMOXOR_W, AMOXOR_D},   {0x08, AMOOR_W, AMOOR_D},
        {0x0c, AMOAND_W, AMOAND_D}, {0x10, AMOMIN_W, AMOMIN_D},   {0x14, AMOMAX_W, AMOMAX_D},
        {0x18, AMOMINU_W, AMOMINU_D}, {0x1c, AMOMAXU_W, AMOMAXU_D},
    };
    for (const Amo& amo : amos) {
        INFO("funct5 " << amo.funct5);
        CHECK(decode(0x0005252f | amo.funct5 << 27).op == amo.word);        // *.w a0,zero,(a0)
        CHECK(decode(0x0005352f | amo.funct5 << 27).op == amo.doubleword);  // *.d a0,zero,(a0)
    }
    CHECK(is_illegal(0x2805252f));  // funct5 0x05 is not an AMO
    CHECK(is_illegal(0x0005052f));  // funct3 0 (byte AMOs are Zabha, not implemented)
    CHECK(is_illegal(0x0005452f));  // funct3 4
    CHECK(is_illegal(0x1015a52f));  // lr.w with rs2 = x1
}

TEST_CASE("CSR instructions carry the zero-extended CSR number and, for *I forms, the uimm in rs1", "[cpu][decode]")
{
    CHECK(fields(0xfff312f3) == Fields{Op::CSRRW, 5, 6, 0, 0xfff});            // csrrw t0,0xfff,t1
    CHECK(fields(0x305fd073) == Fields{Op::CSRRWI, kZeroSink, 31, 0, 0x305});  // csrrwi zero,mtvec,31
    CHECK(fields(0x100476f3) == Fields{Op::CSRRCI, 13, 8, 0, 0x100});          // csrrci a3,sstatus,8
    CHECK(decode(0x30002573).op == Op::CSRRS);                                  // csrrs a0,mstatus,zero
    CHECK(decode(0x30003573).op == Op::CSRRC);
    CHECK(decode(0x30006573).op == Op::CSRRSI);
    CHECK(is_illegal(0x30004573));  // SYSTEM funct3 4 (hypervisor loads/stores)
}

TEST_CASE("privileged instructions decode only from their exact encodings", "[cpu][decode]")
{
    CHECK(decode(0x00000073).op == Op::ECALL);
    CHECK(decode(0x00100073).op == Op::EBREAK);
    CHECK(decode(0x30200073).op == Op::MRET);
    CHECK(decode(0x10200073).op == Op::SRET);
    CHECK(decode(0x10500073).op == Op::WFI);
    CHECK(fields(0x12b50073) == Fields{Op::SFENCE_VMA, kZeroSink, 10, 11});  // sfence.vma a0,a1

    CHECK(is_illegal(0x00200073));  // uret (N extension, gone)
    CHECK(is_illegal(0x7b200073));  // dret (debug mode only)
    CHECK(is_illegal(0x000000f3));  // ecall with rd = ra
    CHECK(is_illegal(0x00008073));  // ecall with rs1 = ra
    CHECK(is_illegal(0x30200173));  // mret with rd = sp
    CHECK(is_illegal(0x120000f3));  // sfence.vma with rd = ra
    CHECK(is_illegal(0x22000073));  // hfence.vvma (no hypervisor)
}

TEST_CASE("FENCE carries pred/succ and ignores the fields hardware must ignore", "[cpu][decode]")
{
    CHECK(fields(0x0ff0000f) == Fields{Op::FENCE, kZeroSink, 0, 0, 0xff});  // fence iorw,iorw
    CHECK(fields(0x0210000f) == Fields{Op::FENCE, kZeroSink, 0, 0, 0x21});  // fence r,w
    CHECK(fields(0x8330000f) == Fields{Op::FENCE, kZeroSink, 0, 0, 0x33});  // fence.tso
    // Reserved fm and nonzero rd/rs1 behave as an ordinary fence (unprivileged spec, FENCE).
    CHECK(fields(0xffff808f) == Fields{Op::FENCE, kZeroSink, 0, 0, 0xff});  // fm 0xf, rs1 t6, rd ra
    CHECK(fields(0x0000100f) == Fields{Op::FENCE_I});                         // fence.i
    CHECK(fields(0xffff908f) == Fields{Op::FENCE_I});  // fence.i with imm, rs1 and rd set
    CHECK(is_illegal(0x0000200f));                     // MISC-MEM funct3 2 (Zicbom, absent)
}

TEST_CASE("opcodes of unimplemented extensions and longer encodings are illegal", "[cpu][decode]")
{
    CHECK(is_illegal(0x0005a507));  // flw (F)
    CHECK(is_illegal(0x00b50553));  // fadd.s (F)
    CHECK(is_illegal(0x0000001f));  // 48-bit encoding prefix
    CHECK(is_illegal(0x0000003f));  // 64-bit encoding prefix
    CHECK(is_illegal(0xffffffff));
    const DecodedInsn d = decode(0x0005a507);
    CHECK(d.raw == 0x0005a507);  // mtval gets the instruction bits
    CHECK(d.len == 4);
}

TEST_CASE("decoding any word yields a listed op, in-range registers and the raw parcel", "[cpu][decode]")
{
    std::mt19937 rng(12345);
    for (int n = 0; n < 200000; ++n) {
        const uint32_t bits = rng();
        const DecodedInsn d = decode(bits);
        INFO(std::hex << bits);
        REQUIRE(d.op < Op::COUNT);
        REQUIRE(d.rd != 0);  // x0 is always written through the sink
        REQUIRE(d.rd <= kZeroSink);
        REQUIRE(d.rs1 < 32);
        REQUIRE(d.rs2 < 32);
        REQUIRE(d.len == insn_length(uint16_t(bits)));
        REQUIRE(d.raw == (d.len == 2 ? bits & 0xffff : bits));
    }
}
