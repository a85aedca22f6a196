// Round trip against GNU objdump: tests/cpu/fixtures.cmake assembles tests/cpu/data/*.S and dumps
// the raw code with `objdump -D -M no-aliases`; here every dumped word is decoded and disassembled
// by locklab and compared with objdump's text. Compiled only when the RISC-V binutils were found.
#ifdef LOCKLAB_OBJDUMP_FIXTURES

#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cpu/csr_defs.h"
#include "cpu/disasm.h"

using namespace locklab::rv;

namespace {

struct DumpLine {
    uint64_t address;
    uint32_t bits;
    unsigned len;      // bytes, from the width of the hex column
    std::string text;  // "mnemonic operands", objdump's address comment removed
};

// Parses objdump's instruction lines, which are tab-separated:
//   "     6a4:\t0048                \tc.addi4spn\ta0,sp,4"
//   "      10:\t00054503          \tlbu\ta0,0(a0) # 0x..."   (the address comment is dropped)
// and skips everything else (headers, labels, blank lines).
std::vector<DumpLine> read_dump(const std::string& name)
{
    const std::string path = std::string(LOCKLAB_OBJDUMP_FIXTURES) + "/" + name + ".dump";
    std::ifstream in(path);
    REQUIRE(in.good());  // built by the cpu_objdump_fixtures target
    std::vector<DumpLine> lines;
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> cols;
        std::istringstream split(line);
        for (std::string col; std::getline(split, col, '\t');) cols.push_back(col);
        if (cols.size() < 3 || cols[0].empty() || cols[0].back() != ':') continue;
        const std::string hex = cols[1].substr(0, cols[1].find(' '));
        std::string text = cols[2];
        if (cols.size() > 3) text += " " + cols[3].substr(0, cols[3].find(" # "));
        lines.push_back({std::stoull(cols[0], nullptr, 16), uint32_t(std::stoul(hex, nullptr, 16)),
                         unsigned(hex.size() / 2), text});
    }
    return lines;
}

std::string mnemonic_of(const std::string& text) { return text.substr(0, text.find(' ')); }

}  // namespace

TEST_CASE("every instruction form disassembles exactly as objdump prints it", "[cpu][disasm][objdump]")
{
    const auto lines = read_dump("all_insns");
    REQUIRE(lines.size() > 230);  // the whole of all_insns.S, not a truncated dump
    for (const DumpLine& l : lines) {
        INFO("at 0x" << std::hex << l.address << ": " << l.bits);
        const DecodedInsn d = decode(l.bits);
        CHECK(d.len == l.len);
        CHECK(disassemble(d, l.address) == l.text);
    }
}

TEST_CASE("every 16-bit parcel the decoder accepts disassembles as objdump prints it", "[cpu][disasm][objdump][rvc]")
{
    const auto lines = read_dump("rvc_all");
    REQUIRE(lines.size() == 3 * 16384);
    // What objdump accepts and locklab rejects: F/D instructions (not implemented) and
    // c.addi16sp with a zero immediate, which the spec reserves.
    const std::set<std::string> kRejectedByDesign = {"c.fld", "c.fsd", "c.fldsp", "c.fsdsp"};
    size_t accepted = 0;
    for (const DumpLine& l : lines) {
        INFO("parcel 0x" << std::hex << l.bits);
        REQUIRE(l.len == 2);
        const DecodedInsn d = decode(l.bits);
        if (d.op != Op::ILLEGAL) {
            ++accepted;
            REQUIRE(disassemble(d, l.address) == l.text);
        } else {
            const bool objdump_rejects = l.text.starts_with(".2byte") || l.text == "c.unimp";
            REQUIRE((objdump_rejects || kRejectedByDesign.count(mnemonic_of(l.text)) || l.text == "c.addi16sp sp,0"));
        }
    }
    CHECK(accepted > 38000);
}

TEST_CASE("random operands under every funct7/funct3 of each 32-bit opcode match objdump", "[cpu][disasm][objdump]")
{
    const auto lines = read_dump("rv64_fields");
    REQUIRE(lines.size() == 12 * 1024);
    size_t accepted = 0;
    for (const DumpLine& l : lines) {
        INFO("word 0x" << std::hex << l.bits);
        REQUIRE(l.len == 4);
        const DecodedInsn d = decode(l.bits);
        if (d.op == Op::ILLEGAL) {
            REQUIRE(l.text.starts_with(".4byte"));  // objdump (rv64gc) does not know it either
        } else {
            ++accepted;
            REQUIRE(disassemble(d, l.address) == l.text);
        }
    }
    CHECK(accepted > 3000);
}

TEST_CASE("every CSR name the disassembler prints is the one objdump prints", "[cpu][disasm][objdump]")
{
    const auto lines = read_dump("csr_sweep");
    REQUIRE(lines.size() == 4096);
    for (const DumpLine& l : lines) {
        const DecodedInsn d = decode(l.bits);
        REQUIRE(d.op == Op::CSRRS);
        INFO("CSR 0x" << std::hex << d.imm);
        const std::string name = csr_name(uint16_t(d.imm));
        if (!name.empty()) {
            CHECK(disassemble(d, l.address) == l.text);
        } else {
            CHECK(disassemble(d, l.address) == "csrrs t0," + fmt::format("{:#x}", d.imm) + ",zero");
        }
    }
}

#endif  // LOCKLAB_OBJDUMP_FIXTURES
