#include "tests/difftest/program.h"

#include <fmt/format.h>

#include "cpu/disasm.h"
#include "tests/cpu/asm_helpers.h"
#include "tests/difftest/layout.h"
#include "tests/difftest/rvc_encode.h"

namespace locklab::rv::difftest {

namespace enc = test::enc;

std::vector<uint64_t> Program::addresses() const
{
    std::vector<uint64_t> addrs;
    addrs.reserve(body.size());
    uint64_t pc = code_base;
    for (const Insn& i : body) {
        addrs.push_back(pc);
        pc += i.len;
    }
    return addrs;
}

uint32_t Program::encode(size_t i, const std::vector<uint64_t>& addrs) const
{
    const Insn& in = body[i];
    const int64_t off = in.target >= 0 ? int64_t(addrs[size_t(in.target)] - addrs[i]) : 0;
    switch (in.fixup) {
    case Fixup::None: return in.bits;
    case Fixup::Branch: return in.bits | (enc::b_type(int32_t(off), 0, 0, 0) & ~0x7fu);
    case Fixup::Jal: return in.bits | (enc::j_type(int32_t(off), 0) & ~0x7fu);
    case Fixup::CBranch: return cenc::set_cb_offset(uint16_t(in.bits), off);
    case Fixup::CJump: return cenc::set_cj_offset(uint16_t(in.bits), off);
    case Fixup::PcrelImm: {
        if (in.anchor < 0 || in.target < 0) return in.bits;  // its auipc was dropped: immediate 0
        const int64_t rel = int64_t(addrs[size_t(in.target)] - addrs[size_t(in.anchor)]);
        return in.bits | uint32_t(rel & 0xfff) << 20;
    }
    }
    return in.bits;
}

Program Program::subset(const std::vector<bool>& keep) const
{
    Program out;
    out.seed = seed;
    out.code_base = code_base;
    out.init = init;
    const size_t n = body.size();
    std::vector<int32_t> new_index(n, -1), next_kept(n + 1, -1);
    int32_t count = 0;
    for (size_t i = 0; i < n; ++i) {
        if (keep[i] || i + 1 == n) new_index[i] = count++;
    }
    for (size_t i = n; i-- > 0;) next_kept[i] = new_index[i] >= 0 ? new_index[i] : next_kept[i + 1];
    for (size_t i = 0; i < n; ++i) {
        if (new_index[i] < 0) continue;
        Insn in = body[i];
        if (in.target >= 0) in.target = next_kept[size_t(in.target)];
        if (in.anchor >= 0) in.anchor = new_index[size_t(in.anchor)];
        out.body.push_back(in);
    }
    return out;
}

std::string listing(const Program& p)
{
    const std::vector<uint64_t> addrs = p.addresses();
    std::string out;
    for (size_t i = 0; i < p.body.size(); ++i) {
        out += "  " + format_insn_trace(addrs[i], decode(p.encode(i, addrs))) + "\n";
    }
    return out;
}

std::string assembly(const Program& p)
{
    const std::vector<uint64_t> addrs = p.addresses();
    std::string out = fmt::format("    # at {:#x}; the trap handler (mtvec) skips a trapping instruction\n", p.code_base);
    for (size_t i = 0; i < p.body.size(); ++i) {
        const uint32_t bits = p.encode(i, addrs);
        const DecodedInsn d = decode(bits);
        if (d.len == 2) {
            out += fmt::format("    .2byte 0x{:04x}      # {}\n", bits & 0xffff, disassemble(d, addrs[i]));
        } else {
            out += fmt::format("    .4byte 0x{:08x}  # {}\n", bits, disassemble(d, addrs[i]));
        }
    }
    return out;
}

std::string describe_initial_state(const Program& p)
{
    static constexpr const char* kAbi[32] = {"zero", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2",
                                             "s0",   "s1", "a0", "a1", "a2",  "a3",  "a4", "a5",
                                             "a6",   "a7", "s2", "s3", "s4",  "s5",  "s6", "s7",
                                             "s8",   "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
    const InitialState& s = p.init;
    std::string out = fmt::format("  M-mode at {:#x}, mstatus={:#x} satp={:#x} mcounteren={:#x} scounteren={:#x}\n",
                                  p.code_base, s.mstatus, s.satp, s.mcounteren, s.scounteren);
    std::string regs;
    int on_line = 0;
    for (unsigned r = 1; r < 32; ++r) {
        regs += fmt::format("{}={:#x} ", kAbi[r], s.x[r]);
        if (++on_line == 6) {
            out += "  " + regs + "\n";
            regs.clear();
            on_line = 0;
        }
    }
    if (!regs.empty()) out += "  " + regs + "\n";
    if (s.satp != 0) {
        out += "  Sv39 mappings (va[->pa]:flags):";
        for (const Mapping& m : s.mappings) {
            out += fmt::format(" {:#x}{}:{:#x}", m.va, m.va == m.pa ? "" : fmt::format("->{:#x}", m.pa), m.flags);
            if (m.level) out += "(2M)";
        }
        out += "\n";
    }
    return out;
}

}  // namespace locklab::rv::difftest
