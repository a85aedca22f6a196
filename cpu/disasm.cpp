// The disassembler: pick a mnemonic and an operand shape for the decoded instruction, then print
// the operands of that shape. Mnemonics of 32-bit instructions come from cpu/ops.def; compressed
// ones are recognised from the operation they expanded to plus the quadrant/funct3 of `raw`.
#include "cpu/disasm.h"

#include <array>
#include <iterator>
#include <string_view>

#include <fmt/format.h>

#include "cpu/csr_defs.h"

namespace locklab::rv {
namespace {

using enum Op;

// How the operands are printed (objdump's order and punctuation).
enum class Shape : uint8_t {
    None,          // ecall
    RdRs1Rs2,      // add a0,a1,a2
    RdRs1Imm,      // addi a0,a1,-1     c.addi4spn a0,sp,4
    RdRs1Shamt,    // slli a0,a1,0x3f
    RdUpper,       // lui a0,0x12345    c.lui a0,0xfffff
    RdTarget,      // jal ra,0x80000010
    RdMem,         // lw a0,-4(sp)
    Rs2Mem,        // sw a0,-4(sp)
    Rs1Rs2Target,  // beq a0,a1,0x80000010
    Fence,         // fence iorw,iorw
    Rs1Rs2,        // sfence.vma a0,a1
    Csr,           // csrrw t0,mstatus,t1
    CsrImm,        // csrrwi zero,mtvec,31
    Lr,            // lr.w.aq a0,(a1)
    Amo,           // amoadd.d.aqrl a0,a1,(a2)
    RdImm,         // c.addi a0,1
    RdShamt,       // c.slli a0,0x1
    RdRs2,         // c.add a0,a1
    Rs1Target,     // c.beqz a0,0x80000010
    Target,        // c.j 0x80000010
    Rs1,           // c.jr ra
    Rd,            // c.slli64 a0
};

struct Form {
    std::string_view mnemonic;
    Shape shape;
};

constexpr std::array<std::string_view, 32> kAbiNames = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6",   "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

std::string_view reg(uint8_t r) { return kAbiNames[r == kZeroSink ? 0 : r & 31]; }

Shape shape32(Op op)
{
    switch (op) {
    case LUI: case AUIPC: return Shape::RdUpper;
    case JAL: return Shape::RdTarget;
    case JALR: case LB: case LH: case LW: case LD: case LBU: case LHU: case LWU: return Shape::RdMem;
    case BEQ: case BNE: case BLT: case BGE: case BLTU: case BGEU: return Shape::Rs1Rs2Target;
    case SB: case SH: case SW: case SD: return Shape::Rs2Mem;
    case ADDI: case SLTI: case SLTIU: case XORI: case ORI: case ANDI: case ADDIW: return Shape::RdRs1Imm;
    case SLLI: case SRLI: case SRAI: case SLLIW: case SRLIW: case SRAIW: return Shape::RdRs1Shamt;
    case FENCE: return Shape::Fence;
    case FENCE_I: case ECALL: case EBREAK: case MRET: case SRET: case WFI: case ILLEGAL: return Shape::None;
    case SFENCE_VMA: return Shape::Rs1Rs2;
    case CSRRW: case CSRRS: case CSRRC: return Shape::Csr;
    case CSRRWI: case CSRRSI: case CSRRCI: return Shape::CsrImm;
    case LR_W: case LR_D: return Shape::Lr;
    default: break;
    }
    if (op >= SC_W && op <= AMOMAXU_D) return Shape::Amo;
    return Shape::RdRs1Rs2;  // OP, OP-32 and M
}

// A compressed instruction's c. form, from its expansion and the quadrant/funct3 it came from.
Form compressed_form(const DecodedInsn& d)
{
    const uint32_t quadrant = d.raw & 3, funct3 = (d.raw >> 13) & 7;
    const bool stack_relative = quadrant == 2;  // c.lwsp/c.ldsp/c.swsp/c.sdsp
    switch (d.op) {
    case ADDI:
        if (quadrant == 0) return {"c.addi4spn", Shape::RdRs1Imm};
        if (funct3 == 2) return {"c.li", Shape::RdImm};
        if (funct3 == 3) return {"c.addi16sp", Shape::RdImm};
        return {"c.addi", Shape::RdImm};
    case ADDIW: return {"c.addiw", Shape::RdImm};
    case ANDI: return {"c.andi", Shape::RdImm};
    case LUI: return {"c.lui", Shape::RdUpper};
    case SLLI: return d.imm == 0 ? Form{"c.slli64", Shape::Rd} : Form{"c.slli", Shape::RdShamt};
    case SRLI: return d.imm == 0 ? Form{"c.srli64", Shape::Rd} : Form{"c.srli", Shape::RdShamt};
    case SRAI: return d.imm == 0 ? Form{"c.srai64", Shape::Rd} : Form{"c.srai", Shape::RdShamt};
    case LW: return {stack_relative ? "c.lwsp" : "c.lw", Shape::RdMem};
    case LD: return {stack_relative ? "c.ldsp" : "c.ld", Shape::RdMem};
    case SW: return {stack_relative ? "c.swsp" : "c.sw", Shape::Rs2Mem};
    case SD: return {stack_relative ? "c.sdsp" : "c.sd", Shape::Rs2Mem};
    case SUB: return {"c.sub", Shape::RdRs2};
    case XOR: return {"c.xor", Shape::RdRs2};
    case OR: return {"c.or", Shape::RdRs2};
    case AND: return {"c.and", Shape::RdRs2};
    case SUBW: return {"c.subw", Shape::RdRs2};
    case ADDW: return {"c.addw", Shape::RdRs2};
    case ADD: return {(d.raw >> 12) & 1 ? "c.add" : "c.mv", Shape::RdRs2};
    case JAL: return {"c.j", Shape::Target};
    case BEQ: return {"c.beqz", Shape::Rs1Target};
    case BNE: return {"c.bnez", Shape::Rs1Target};
    case JALR: return {d.rd == 1 ? "c.jalr" : "c.jr", Shape::Rs1};
    case EBREAK: return {"c.ebreak", Shape::None};
    default: return {mnemonic(d.op), Shape::None};  // the decoder produces no other compressed op
    }
}

// FENCE's predecessor/successor set as objdump prints it ("iorw", "unknown" for the empty set).
std::string fence_set(unsigned set)
{
    std::string s;
    for (auto [bit, letter] : {std::pair{8u, 'i'}, {4u, 'o'}, {2u, 'r'}, {1u, 'w'}}) {
        if (set & bit) s += letter;
    }
    return s.empty() ? "unknown" : s;
}

std::string csr_operand(int32_t number)
{
    std::string name = csr_name(uint16_t(number));
    return name.empty() ? fmt::format("0x{:x}", number) : name;
}

std::string_view aqrl_suffix(uint8_t flags)
{
    constexpr std::array<std::string_view, 4> kSuffix = {"", ".aq", ".rl", ".aqrl"};
    return kSuffix[flags & (INSN_AQ | INSN_RL)];
}

std::string operands(const DecodedInsn& d, Shape shape, uint64_t pc)
{
    const uint64_t target = pc + uint64_t(int64_t(d.imm));
    const auto upper = (uint32_t(d.imm) >> 12) & 0xfffff;
    switch (shape) {
    case Shape::None: return {};
    case Shape::RdRs1Rs2: return fmt::format("{},{},{}", reg(d.rd), reg(d.rs1), reg(d.rs2));
    case Shape::RdRs1Imm: return fmt::format("{},{},{}", reg(d.rd), reg(d.rs1), d.imm);
    case Shape::RdRs1Shamt: return fmt::format("{},{},0x{:x}", reg(d.rd), reg(d.rs1), d.imm);
    case Shape::RdUpper: return fmt::format("{},0x{:x}", reg(d.rd), upper);
    case Shape::RdTarget: return fmt::format("{},{:#x}", reg(d.rd), target);
    case Shape::RdMem: return fmt::format("{},{}({})", reg(d.rd), d.imm, reg(d.rs1));
    case Shape::Rs2Mem: return fmt::format("{},{}({})", reg(d.rs2), d.imm, reg(d.rs1));
    case Shape::Rs1Rs2Target: return fmt::format("{},{},{:#x}", reg(d.rs1), reg(d.rs2), target);
    case Shape::Fence: return fmt::format("{},{}", fence_set(unsigned(d.imm) >> 4), fence_set(unsigned(d.imm) & 15));
    case Shape::Rs1Rs2: return fmt::format("{},{}", reg(d.rs1), reg(d.rs2));
    case Shape::Csr: return fmt::format("{},{},{}", reg(d.rd), csr_operand(d.imm), reg(d.rs1));
    case Shape::CsrImm: return fmt::format("{},{},{}", reg(d.rd), csr_operand(d.imm), d.rs1);
    case Shape::Lr: return fmt::format("{},({})", reg(d.rd), reg(d.rs1));
    case Shape::Amo: return fmt::format("{},{},({})", reg(d.rd), reg(d.rs2), reg(d.rs1));
    case Shape::RdImm: return fmt::format("{},{}", reg(d.rd), d.imm);
    case Shape::RdShamt: return fmt::format("{},0x{:x}", reg(d.rd), d.imm);
    case Shape::RdRs2: return fmt::format("{},{}", reg(d.rd), reg(d.rs2));
    case Shape::Rs1Target: return fmt::format("{},{:#x}", reg(d.rs1), target);
    case Shape::Target: return fmt::format("{:#x}", target);
    case Shape::Rs1: return std::string(reg(d.rs1));
    case Shape::Rd: return std::string(reg(d.rd));
    }
    return {};
}

constexpr bool is_fence_tso(const DecodedInsn& d) { return d.op == FENCE && (d.raw >> 28) == 0x8 && d.imm == 0x33; }

}  // namespace

std::string disassemble(const DecodedInsn& d, uint64_t pc)
{
    if (d.op == ILLEGAL) {
        if (d.len == 2) return d.raw == 0 ? "c.unimp" : fmt::format(".2byte 0x{:x}", d.raw);
        return fmt::format(".4byte 0x{:x}", d.raw);
    }
    if (is_fence_tso(d)) return "fence.tso";

    Form form = d.len == 2 ? compressed_form(d) : Form{mnemonic(d.op), shape32(d.op)};
    std::string text(form.mnemonic);
    if (form.shape == Shape::Lr || form.shape == Shape::Amo) text += aqrl_suffix(d.flags);
    if (form.shape != Shape::None) {
        text += ' ';
        text += operands(d, form.shape, pc);
    }
    return text;
}

std::string format_insn_trace(uint64_t pc, const DecodedInsn& d)
{
    if (d.len == 2) return fmt::format("0x{:08x}: {:04x}      {}", pc, d.raw & 0xffff, disassemble(d, pc));
    return fmt::format("0x{:08x}: {:08x}  {}", pc, d.raw, disassemble(d, pc));
}

}  // namespace locklab::rv
