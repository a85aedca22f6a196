// The disassembler's syntax, pinned by hand for each operand shape (test_disasm_objdump.cpp checks
// the same against GNU objdump when it is installed), and the `-d in_asm` trace line.
#include <catch2/catch.hpp>

#include "cpu/disasm.h"

using namespace locklab::rv;

namespace {
std::string dis(uint32_t bits, uint64_t pc = 0x80000000) { return disassemble(decode(bits), pc); }
}  // namespace

TEST_CASE("integer instructions print with ABI register names and objdump's immediate styles", "[cpu][disasm]")
{
    CHECK(dis(0x00000297) == "auipc t0,0x0");
    CHECK(dis(0xfffff537) == "lui a0,0xfffff");
    CHECK(dis(0x80058513) == "addi a0,a1,-2048");
    CHECK(dis(0x00000013) == "addi zero,zero,0");
    CHECK(dis(0x03f91893) == "slli a7,s2,0x3f");
    CHECK(dis(0x41f9d91b) == "sraiw s2,s3,0x1f");
    CHECK(dis(0x01de0db3) == "add s11,t3,t4");
    CHECK(dis(0x02f746bb) == "divw a3,a4,a5");
    CHECK(dis(0x81312023) == "sw s3,-2048(sp)");
    CHECK(dis(0x00813083) == "ld ra,8(sp)");
    CHECK(dis(0x800300e7) == "jalr ra,-2048(t1)");
    CHECK(dis(0x00008067) == "jalr zero,0(ra)");
}

TEST_CASE("branch and jump targets print as absolute addresses", "[cpu][disasm]")
{
    CHECK(dis(0xfeb54ee3, 0x80000010) == "blt a0,a1,0x8000000c");
    CHECK(dis(0x7eb50fe3, 0x80000000) == "beq a0,a1,0x80000ffe");
    CHECK(dis(0x800000ef, 0x80100000) == "jal ra,0x80000000");
    CHECK(dis(0xffdff06f, 0) == "jal zero,0xfffffffffffffffc");  // wraps like the pc does
}

TEST_CASE("atomics print their ordering suffix and memory operand", "[cpu][disasm]")
{
    CHECK(dis(0x1005a52f) == "lr.w a0,(a1)");
    CHECK(dis(0x1605a52f) == "lr.w.aqrl a0,(a1)");
    CHECK(dis(0x1a84b3af) == "sc.d.rl t2,s0,(s1)");
    CHECK(dis(0x0cb6352f) == "amoswap.d.aq a0,a1,(a2)");
    CHECK(dis(0x0651202f) == "amoadd.w.aqrl zero,t0,(sp)");
}

TEST_CASE("system instructions print CSR names, fence sets and privileged mnemonics", "[cpu][disasm]")
{
    CHECK(dis(0x300312f3) == "csrrw t0,mstatus,t1");
    CHECK(dis(0x305fd073) == "csrrwi zero,mtvec,31");
    CHECK(dis(0x18002773) == "csrrs a4,satp,zero");
    CHECK(dis(0x7c029073) == "csrrw zero,0x7c0,t0");  // a custom CSR has no name
    CHECK(dis(0x0ff0000f) == "fence iorw,iorw");
    CHECK(dis(0x0210000f) == "fence r,w");
    CHECK(dis(0x0000000f) == "fence unknown,unknown");
    CHECK(dis(0x8330000f) == "fence.tso");
    CHECK(dis(0x0000100f) == "fence.i");
    CHECK(dis(0x00000073) == "ecall");
    CHECK(dis(0x30200073) == "mret");
    CHECK(dis(0x10500073) == "wfi");
    CHECK(dis(0x12000073) == "sfence.vma zero,zero");
}

TEST_CASE("compressed instructions print their c. form, not their expansion", "[cpu][disasm][rvc]")
{
    CHECK(dis(0x0048) == "c.addi4spn a0,sp,4");
    CHECK(dis(0x5fe0) == "c.lw s0,124(a5)");
    CHECK(dis(0xfcf8) == "c.sd a4,248(s1)");
    CHECK(dis(0x0001) == "c.addi zero,0");  // c.nop, as objdump -M no-aliases shows it
    CHECK(dis(0x5501) == "c.li a0,-32");
    CHECK(dis(0x7101) == "c.addi16sp sp,-512");
    CHECK(dis(0x72fd) == "c.lui t0,0xfffff");
    CHECK(dis(0x357d) == "c.addiw a0,-1");
    CHECK(dis(0x90fd) == "c.srli s1,0x3f");
    CHECK(dis(0x0502) == "c.slli64 a0");
    CHECK(dis(0x9881) == "c.andi s1,-32");
    CHECK(dis(0x9d0d) == "c.subw a0,a1");
    CHECK(dis(0xa001, 0x80000100) == "c.j 0x80000100");
    CHECK(dis(0xdd75, 0x80000004) == "c.beqz a0,0x80000000");
    CHECK(dis(0x50fe) == "c.lwsp ra,252(sp)");
    CHECK(dis(0xfffe) == "c.sdsp t6,504(sp)");
    CHECK(dis(0x8082) == "c.jr ra");
    CHECK(dis(0x9502) == "c.jalr a0");
    CHECK(dis(0x852e) == "c.mv a0,a1");
    CHECK(dis(0x952e) == "c.add a0,a1");
    CHECK(dis(0x9002) == "c.ebreak");
}

TEST_CASE("undecodable encodings print as data, the way objdump prints them", "[cpu][disasm]")
{
    CHECK(dis(0x7b200073) == ".4byte 0x7b200073");
    CHECK(dis(0x00007003) == ".4byte 0x7003");
    CHECK(dis(0x6101) == ".2byte 0x6101");
    CHECK(dis(0x2000) == ".2byte 0x2000");
    CHECK(dis(0x0000) == "c.unimp");
}

TEST_CASE("a trace line shows address, encoding and disassembly aligned", "[cpu][disasm]")
{
    CHECK(format_insn_trace(0x80000000, decode(0x00000297)) == "0x80000000: 00000297  auipc t0,0x0");
    CHECK(format_insn_trace(0x80000004, decode(0x4501)) == "0x80000004: 4501      c.li a0,0");
    CHECK(format_insn_trace(0xffffffff80000000, decode(0x00100073)) == "0xffffffff80000000: 00100073  ebreak");
}
