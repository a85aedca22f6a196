// The RV64C decoder: each compressed instruction decodes to exactly what its 32-bit expansion
// decodes to (only len and raw differ), reserved encodings are illegal, HINTs decode to their
// expansion. Encodings come from GNU as, assembling the c. form and its expansion.
#include <catch2/catch.hpp>

#include "cpu/decoded_insn.h"
#include "tests/cpu/decode_fields_match.h"

using namespace locklab::rv;
using locklab::rv::test::Fields;

namespace {

struct Expansion {
    uint16_t compressed;
    uint32_t expanded;
    const char* assembly;
};

// Each immediate field is exercised one bit at a time (so a mis-ordered immediate bit shows up),
// plus the most negative value; jump and branch offsets are relative to the instruction.
constexpr Expansion kExpansions[] = {
    {0x0048, 0x00410513, "c.addi4spn a0, sp, 4"},
    {0x0028, 0x00810513, "c.addi4spn a0, sp, 8"},
    {0x0808, 0x01010513, "c.addi4spn a0, sp, 16"},
    {0x1008, 0x02010513, "c.addi4spn a0, sp, 32"},
    {0x0088, 0x04010513, "c.addi4spn a0, sp, 64"},
    {0x0108, 0x08010513, "c.addi4spn a0, sp, 128"},
    {0x0208, 0x10010513, "c.addi4spn a0, sp, 256"},
    {0x0408, 0x20010513, "c.addi4spn a0, sp, 512"},
    {0x43c0, 0x0047a403, "c.lw s0, 4(a5"},
    {0x4780, 0x0087a403, "c.lw s0, 8(a5"},
    {0x4b80, 0x0107a403, "c.lw s0, 16(a5"},
    {0x5380, 0x0207a403, "c.lw s0, 32(a5"},
    {0x43a0, 0x0407a403, "c.lw s0, 64(a5"},
    {0x6498, 0x0084b703, "c.ld a4, 8(s1"},
    {0x6898, 0x0104b703, "c.ld a4, 16(s1"},
    {0x7098, 0x0204b703, "c.ld a4, 32(s1"},
    {0x60b8, 0x0404b703, "c.ld a4, 64(s1"},
    {0x60d8, 0x0804b703, "c.ld a4, 128(s1"},
    {0xc1c8, 0x00a5a223, "c.sw a0, 4(a1"},
    {0xc588, 0x00a5a423, "c.sw a0, 8(a1"},
    {0xc988, 0x00a5a823, "c.sw a0, 16(a1"},
    {0xd188, 0x02a5a023, "c.sw a0, 32(a1"},
    {0xc1a8, 0x04a5a023, "c.sw a0, 64(a1"},
    {0xe690, 0x00c6b423, "c.sd a2, 8(a3"},
    {0xea90, 0x00c6b823, "c.sd a2, 16(a3"},
    {0xf290, 0x02c6b023, "c.sd a2, 32(a3"},
    {0xe2b0, 0x04c6b023, "c.sd a2, 64(a3"},
    {0xe2d0, 0x08c6b023, "c.sd a2, 128(a3"},
    {0x0f85, 0x001f8f93, "c.addi t6, 1"},
    {0x0f89, 0x002f8f93, "c.addi t6, 2"},
    {0x0f91, 0x004f8f93, "c.addi t6, 4"},
    {0x0fa1, 0x008f8f93, "c.addi t6, 8"},
    {0x0fc1, 0x010f8f93, "c.addi t6, 16"},
    {0x1f81, 0xfe0f8f93, "c.addi t6, -32"},
    {0x2505, 0x0015051b, "c.addiw a0, 1"},
    {0x2509, 0x0025051b, "c.addiw a0, 2"},
    {0x2511, 0x0045051b, "c.addiw a0, 4"},
    {0x2521, 0x0085051b, "c.addiw a0, 8"},
    {0x2541, 0x0105051b, "c.addiw a0, 16"},
    {0x3501, 0xfe05051b, "c.addiw a0, -32"},
    {0x4505, 0x00100513, "c.li a0, 1"},
    {0x4509, 0x00200513, "c.li a0, 2"},
    {0x4511, 0x00400513, "c.li a0, 4"},
    {0x4521, 0x00800513, "c.li a0, 8"},
    {0x4541, 0x01000513, "c.li a0, 16"},
    {0x5501, 0xfe000513, "c.li a0, -32"},
    {0x6141, 0x01010113, "c.addi16sp sp, 16"},
    {0x6105, 0x02010113, "c.addi16sp sp, 32"},
    {0x6121, 0x04010113, "c.addi16sp sp, 64"},
    {0x6109, 0x08010113, "c.addi16sp sp, 128"},
    {0x6111, 0x10010113, "c.addi16sp sp, 256"},
    {0x7101, 0xe0010113, "c.addi16sp sp, -512"},
    {0x6285, 0x000012b7, "c.lui t0, 0x1"},
    {0x6289, 0x000022b7, "c.lui t0, 0x2"},
    {0x6291, 0x000042b7, "c.lui t0, 0x4"},
    {0x62a1, 0x000082b7, "c.lui t0, 0x8"},
    {0x62c1, 0x000102b7, "c.lui t0, 0x10"},
    {0x7281, 0xfffe02b7, "c.lui t0, 0xfffe0"},
    {0x8085, 0x0014d493, "c.srli s1, 1"},
    {0x8089, 0x0024d493, "c.srli s1, 2"},
    {0x8091, 0x0044d493, "c.srli s1, 4"},
    {0x80a1, 0x0084d493, "c.srli s1, 8"},
    {0x80c1, 0x0104d493, "c.srli s1, 16"},
    {0x9081, 0x0204d493, "c.srli s1, 32"},
    {0x8785, 0x4017d793, "c.srai a5, 1"},
    {0x8789, 0x4027d793, "c.srai a5, 2"},
    {0x8791, 0x4047d793, "c.srai a5, 4"},
    {0x87a1, 0x4087d793, "c.srai a5, 8"},
    {0x87c1, 0x4107d793, "c.srai a5, 16"},
    {0x9781, 0x4207d793, "c.srai a5, 32"},
    {0x8885, 0x0014f493, "c.andi s1, 1"},
    {0x8889, 0x0024f493, "c.andi s1, 2"},
    {0x8891, 0x0044f493, "c.andi s1, 4"},
    {0x88a1, 0x0084f493, "c.andi s1, 8"},
    {0x88c1, 0x0104f493, "c.andi s1, 16"},
    {0x9881, 0xfe04f493, "c.andi s1, -32"},
    {0x0f86, 0x001f9f93, "c.slli t6, 1"},
    {0x0f8a, 0x002f9f93, "c.slli t6, 2"},
    {0x0f92, 0x004f9f93, "c.slli t6, 4"},
    {0x0fa2, 0x008f9f93, "c.slli t6, 8"},
    {0x0fc2, 0x010f9f93, "c.slli t6, 16"},
    {0x1f82, 0x020f9f93, "c.slli t6, 32"},
    {0xa009, 0x0020006f, "c.j 2"},
    {0xa011, 0x0040006f, "c.j 4"},
    {0xa021, 0x0080006f, "c.j 8"},
    {0xa801, 0x0100006f, "c.j 16"},
    {0xa005, 0x0200006f, "c.j 32"},
    {0xa081, 0x0400006f, "c.j 64"},
    {0xa041, 0x0800006f, "c.j 128"},
    {0xa201, 0x1000006f, "c.j 256"},
    {0xa401, 0x2000006f, "c.j 512"},
    {0xa101, 0x4000006f, "c.j 1024"},
    {0xb001, 0x801ff06f, "c.j -2048"},
    {0xc109, 0x00050163, "c.beqz a0, 2"},
    {0xc111, 0x00050263, "c.beqz a0, 4"},
    {0xc501, 0x00050463, "c.beqz a0, 8"},
    {0xc901, 0x00050863, "c.beqz a0, 16"},
    {0xc105, 0x02050063, "c.beqz a0, 32"},
    {0xc121, 0x04050063, "c.beqz a0, 64"},
    {0xc141, 0x08050063, "c.beqz a0, 128"},
    {0xd101, 0xf00500e3, "c.beqz a0, -256"},
    {0xe089, 0x00049163, "c.bnez s1, 2"},
    {0xe091, 0x00049263, "c.bnez s1, 4"},
    {0xe481, 0x00049463, "c.bnez s1, 8"},
    {0xe881, 0x00049863, "c.bnez s1, 16"},
    {0xe085, 0x02049063, "c.bnez s1, 32"},
    {0xe0a1, 0x04049063, "c.bnez s1, 64"},
    {0xe0c1, 0x08049063, "c.bnez s1, 128"},
    {0xf081, 0xf00490e3, "c.bnez s1, -256"},
    {0x4092, 0x00412083, "c.lwsp ra, 4(sp"},
    {0x40a2, 0x00812083, "c.lwsp ra, 8(sp"},
    {0x40c2, 0x01012083, "c.lwsp ra, 16(sp"},
    {0x5082, 0x02012083, "c.lwsp ra, 32(sp"},
    {0x4086, 0x04012083, "c.lwsp ra, 64(sp"},
    {0x408a, 0x08012083, "c.lwsp ra, 128(sp"},
    {0x6fa2, 0x00813f83, "c.ldsp t6, 8(sp"},
    {0x6fc2, 0x01013f83, "c.ldsp t6, 16(sp"},
    {0x7f82, 0x02013f83, "c.ldsp t6, 32(sp"},
    {0x6f86, 0x04013f83, "c.ldsp t6, 64(sp"},
    {0x6f8a, 0x08013f83, "c.ldsp t6, 128(sp"},
    {0x6f92, 0x10013f83, "c.ldsp t6, 256(sp"},
    {0xc206, 0x00112223, "c.swsp ra, 4(sp"},
    {0xc406, 0x00112423, "c.swsp ra, 8(sp"},
    {0xc806, 0x00112823, "c.swsp ra, 16(sp"},
    {0xd006, 0x02112023, "c.swsp ra, 32(sp"},
    {0xc086, 0x04112023, "c.swsp ra, 64(sp"},
    {0xc106, 0x08112023, "c.swsp ra, 128(sp"},
    {0xe47e, 0x01f13423, "c.sdsp t6, 8(sp"},
    {0xe87e, 0x01f13823, "c.sdsp t6, 16(sp"},
    {0xf07e, 0x03f13023, "c.sdsp t6, 32(sp"},
    {0xe0fe, 0x05f13023, "c.sdsp t6, 64(sp"},
    {0xe17e, 0x09f13023, "c.sdsp t6, 128(sp"},
    {0xe27e, 0x11f13023, "c.sdsp t6, 256(sp"},
    {0x0001, 0x00000013, "c.nop"},
    {0x8d0d, 0x40b50533, "c.sub a0, a1"},
    {0x8c3d, 0x00f44433, "c.xor s0, a5"},
    {0x8e55, 0x00d66633, "c.or a2, a3"},
    {0x8f65, 0x00977733, "c.and a4, s1"},
    {0x9d0d, 0x40b5053b, "c.subw a0, a1"},
    {0x9cbd, 0x00f484bb, "c.addw s1, a5"},
    {0x8282, 0x00028067, "c.jr t0"},
    {0x84fe, 0x01f004b3, "c.mv s1, t6"},
    {0x9002, 0x00100073, "c.ebreak"},
    {0x9502, 0x000500e7, "c.jalr a0"},
    {0x9fa6, 0x009f8fb3, "c.add t6, s1"},
};

Fields fields(uint32_t bits) { return Fields::of(decode(bits)); }

}  // namespace

TEST_CASE("every compressed instruction decodes like its 32-bit expansion", "[cpu][decode][rvc]")
{
    for (const Expansion& e : kExpansions) {
        INFO(e.assembly);
        const DecodedInsn c = decode(e.compressed);
        CHECK(c.op != Op::ILLEGAL);
        CHECK(Fields::of(c) == fields(e.expanded));
        CHECK(c.len == 2);
        CHECK(c.raw == e.compressed);
    }
}

TEST_CASE("compressed immediates are scaled, zero- or sign-extended as the spec says", "[cpu][decode][rvc]")
{
    CHECK(fields(0x50fe) == Fields{Op::LW, 1, 2, 0, 252});            // c.lwsp ra,252(sp)
    CHECK(fields(0x7101) == Fields{Op::ADDI, 2, 2, 0, -512});         // c.addi16sp sp,-512
    CHECK(fields(0x617d) == Fields{Op::ADDI, 2, 2, 0, 496});          // c.addi16sp sp,496
    CHECK(fields(0x72fd) == Fields{Op::LUI, 5, 0, 0, -4096});         // c.lui t0,0xfffff
    CHECK(fields(0x6dfd) == Fields{Op::LUI, 27, 0, 0, 0x1f000});      // c.lui s11,0x1f
    CHECK(fields(0x97fd) == Fields{Op::SRAI, 15, 15, 0, 63});         // c.srai a5,63 (RV64 shamt[5])
    CHECK(fields(0x1fe4) == Fields{Op::ADDI, 9, 2, 0, 1020});         // c.addi4spn s1,sp,1020
    CHECK(fields(0xb001) == Fields{Op::JAL, kZeroSink, 0, 0, -2048}); // c.j .-2048
}

TEST_CASE("the upper half of the fetched word does not affect a compressed instruction", "[cpu][decode][rvc]")
{
    const DecodedInsn d = decode(0xdead4501);  // c.li a0,0 followed by other bits
    CHECK(Fields::of(d) == Fields{Op::ADDI, 10, 0, 0, 0});
    CHECK(d.len == 2);
    CHECK(d.raw == 0x4501);
}

TEST_CASE("reserved compressed encodings are illegal", "[cpu][decode][rvc]")
{
    const std::pair<uint16_t, const char*> reserved[] = {
        {0x0000, "all-zero parcel"},
        {0x0004, "c.addi4spn with nzuimm 0"},
        {0x8000, "quadrant 0 funct3 100"},
        {0x9c41, "c.subw/c.addw group, funct2 10"},
        {0x9c61, "c.subw/c.addw group, funct2 11"},
        {0x2001, "c.addiw with rd = x0"},
        {0x6101, "c.addi16sp with nzimm 0"},
        {0x6501, "c.lui with nzimm 0"},
        {0x6001, "c.lui x0 with nzimm 0"},
        {0x4002, "c.lwsp with rd = x0"},
        {0x6002, "c.ldsp with rd = x0"},
        {0x8002, "c.jr with rs1 = x0"},
        {0x2000, "c.fld (no D)"},
        {0xa000, "c.fsd (no D)"},
        {0x2002, "c.fldsp (no D)"},
        {0xa002, "c.fsdsp (no D)"},
    };
    for (auto [parcel, what] : reserved) {
        INFO(what);
        const DecodedInsn d = decode(parcel);
        CHECK(d.op == Op::ILLEGAL);
        CHECK(d.len == 2);
        CHECK(d.raw == parcel);
    }
}

TEST_CASE("compressed HINTs decode to the instruction they expand to", "[cpu][decode][rvc]")
{
    CHECK(fields(0x0005) == Fields{Op::ADDI, kZeroSink, 0, 0, 1});    // c.nop with nzimm 1
    CHECK(fields(0x0501) == Fields{Op::ADDI, 10, 10, 0, 0});          // c.addi a0,0
    CHECK(fields(0x4005) == Fields{Op::ADDI, kZeroSink, 0, 0, 1});    // c.li zero,1
    CHECK(fields(0x6005) == Fields{Op::LUI, kZeroSink, 0, 0, 4096});  // c.lui zero,1
    CHECK(fields(0x0006) == Fields{Op::SLLI, kZeroSink, 0, 0, 1});    // c.slli zero,1
    CHECK(fields(0x0502) == Fields{Op::SLLI, 10, 10, 0, 0});          // c.slli64 a0
    CHECK(fields(0x8101) == Fields{Op::SRLI, 10, 10, 0, 0});          // c.srli64 a0
    CHECK(fields(0x8501) == Fields{Op::SRAI, 10, 10, 0, 0});          // c.srai64 a0
    CHECK(fields(0x802e) == Fields{Op::ADD, kZeroSink, 0, 11, 0});    // c.mv zero,a1
    CHECK(fields(0x902e) == Fields{Op::ADD, kZeroSink, 0, 11, 0});    // c.add zero,a1
}
