#include "tests/difftest/machine.h"

#include <cstring>

#include <fmt/format.h>

#include "cpu/csr_defs.h"
#include "cpu/mode_switch.h"
#include "cpu/privileged.h"
#include "tests/difftest/handler.h"
#include "tests/difftest/layout.h"

namespace locklab::rv::difftest {
namespace {

// The CSRs compared after a run (mip too: software can set SSIP/STIP).
constexpr uint16_t kComparedCsrs[] = {
    csr::mstatus, csr::medeleg,  csr::mideleg, csr::mie,        csr::mip,        csr::mtvec,
    csr::stvec,   csr::mscratch, csr::sscratch, csr::mepc,      csr::sepc,       csr::mcause,
    csr::scause,  csr::mtval,    csr::stval,   csr::mcounteren, csr::scounteren, csr::mcountinhibit,
    csr::satp,    csr::menvcfg,  csr::senvcfg, csr::mcycle,     csr::minstret,
};

template <class T>
void put(uint8_t* p, T v)
{
    std::memcpy(p, &v, sizeof v);
}

}  // namespace

Machine::Machine(const Program& p) : ram_(MemoryRegion::make_ram("ram", kRamSize)), ram_base_(kRamBase)
{
    as_.add_region(kRamBase, *ram_);
    hart_ = std::make_unique<Hart>(0, as_);
    load(p);
}

Machine::~Machine()
{
    hart_.reset();
    as_.remove_region(*ram_);
}

void Machine::load(const Program& p)
{
    const std::vector<uint32_t>& handler = handler_code();
    for (size_t i = 0; i < handler.size(); ++i) put(host(kHandler + 4 * i), handler[i]);
    const std::vector<uint64_t> addrs = p.addresses();
    for (size_t i = 0; i < p.body.size(); ++i) {
        const uint32_t bits = p.encode(i, addrs);
        if (p.body[i].len == 2) {
            put(host(addrs[i]), uint16_t(bits));
        } else {
            put(host(addrs[i]), bits);
        }
    }
    put(host(kCtx + kCtxExitPc), addrs.back());
    std::memcpy(host(kData), p.init.data.data(), std::min<size_t>(p.init.data.size(), kDataPages * kPage));
    build_page_tables(p.init.mappings);

    Hart& h = *hart_;
    h.reset(p.code_base, 0);
    for (unsigned r = 1; r < 32; ++r) h.x[r] = p.init.x[r];
    csr_write_raw(h, csr::mtvec, kHandler);
    csr_write_raw(h, csr::mcounteren, p.init.mcounteren);
    csr_write_raw(h, csr::scounteren, p.init.scounteren);
    csr_write_raw(h, csr::satp, p.init.satp);
    csr_write_raw(h, csr::mstatus, p.init.mstatus);
}

// Three tables at kPageTables: root, one level-1 and one level-0 table; every mapped va lies in the
// first 2 MiB of RAM, so the walk is root[2] -> l1[0] -> l0[vpn0].
void Machine::build_page_tables(const std::vector<Mapping>& mappings)
{
    const uint64_t root = kPageTables, l1 = kPageTables + kPage, l0 = kPageTables + 2 * kPage;
    const auto pointer = [](uint64_t table) { return (table >> 12) << PTE_PPN_SHIFT | PTE_V; };
    put(host(root + ((kRamBase >> 30) & 0x1ff) * 8), pointer(l1));
    put(host(l1 + ((kRamBase >> 21) & 0x1ff) * 8), pointer(l0));
    for (const Mapping& m : mappings) {
        put(host(l0 + ((m.va >> 12) & 0x1ff) * 8), (m.va >> 12) << PTE_PPN_SHIFT | m.flags);
    }
}

ArchState capture(Machine& m, bool finished)
{
    Hart& h = m.hart();
    ArchState s;
    s.finished = finished;
    for (unsigned r = 1; r < 32; ++r) s.x[r] = h.x[r];
    s.pc = h.pc;
    s.priv = h.priv;
    s.instret = h.instret;
    for (uint16_t n : kComparedCsrs) {
        uint64_t v = 0;
        csr_read_raw(h, n, v);
        s.csrs.emplace_back(n, v);
    }
    s.ram.assign(m.ram(), m.ram() + kRamSize);
    return s;
}

std::vector<std::string> differences(const ArchState& a, const ArchState& b, const std::string& na,
                                     const std::string& nb, size_t max_lines)
{
    std::vector<std::string> out;
    const auto add = [&](std::string what, uint64_t va, uint64_t vb) {
        if (va != vb && out.size() < max_lines) out.push_back(fmt::format("{}: {} {:#x}, {} {:#x}", what, na, va, nb, vb));
    };
    add("finished", a.finished, b.finished);
    add("pc", a.pc, b.pc);
    add("priv", uint64_t(a.priv), uint64_t(b.priv));
    add("instret", a.instret, b.instret);
    for (unsigned r = 1; r < 32; ++r) add(fmt::format("x{}", r), a.x[r], b.x[r]);
    for (size_t i = 0; i < a.csrs.size() && i < b.csrs.size(); ++i) {
        const std::string name = csr_name(a.csrs[i].first);
        add(name.empty() ? fmt::format("csr {:#x}", a.csrs[i].first) : name, a.csrs[i].second, b.csrs[i].second);
    }
    for (size_t off = 0; off + 8 <= a.ram.size() && off + 8 <= b.ram.size(); off += 8) {
        uint64_t va, vb;
        std::memcpy(&va, &a.ram[off], 8);
        std::memcpy(&vb, &b.ram[off], 8);
        add(fmt::format("mem[{:#x}]", kRamBase + off), va, vb);
    }
    return out;
}

}  // namespace locklab::rv::difftest
