#include "tests/difftest/machine.h"

#include <cstring>
#include <stdexcept>

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

Machine::Machine(const Program& p)
    : ram_(MemoryRegion::make_ram("ram", kRamSize)),
      mmio_(Ref<locklab::test::TestDevice>::adopt(new locklab::test::TestDevice(kMmioSize))),
      ram_base_(kRamBase)
{
    as_.add_region(kRamBase, *ram_);
    mmio_->realize();
    as_.add_region(kMmio, mmio_->mmio());
    hart_ = std::make_unique<Hart>(0, as_);
    load(p);
}

Machine::~Machine()
{
    hart_.reset();
    as_.remove_region(mmio_->mmio());
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
    for (size_t i = 0; i < p.init.mmio.size() && i < kMmioSize; ++i) as_.write(kMmio + i, 1, p.init.mmio[i]);

    Hart& h = *hart_;
    h.reset(p.code_base, 0);
    for (unsigned r = 1; r < 32; ++r) h.x[r] = p.init.x[r];
    csr_write_raw(h, csr::mtvec, kHandler);
    csr_write_raw(h, csr::mcounteren, p.init.mcounteren);
    csr_write_raw(h, csr::scounteren, p.init.scounteren);
    csr_write_raw(h, csr::satp, p.init.satp);
    csr_write_raw(h, csr::mstatus, p.init.mstatus);
}

// Tables from kPageTables on (the root first), a leaf per mapping at its level; the next-level
// tables are allocated in order of need.
void Machine::build_page_tables(const std::vector<Mapping>& mappings)
{
    uint64_t next_table = kPageTables + kPage;
    for (const Mapping& m : mappings) {
        uint64_t table = kPageTables;
        for (int level = 2; level > m.level; --level) {
            uint8_t* slot = host(table + ((m.va >> (12 + 9 * level)) & 0x1ff) * 8);
            uint64_t pte;
            std::memcpy(&pte, slot, 8);
            if (!(pte & PTE_V)) {
                if (next_table == kPageTablesEnd) throw std::length_error("difftest: page-table area full");
                pte = (next_table >> 12) << PTE_PPN_SHIFT | PTE_V;
                put(slot, pte);
                next_table += kPage;
            }
            table = ((pte >> PTE_PPN_SHIFT) & PTE_PPN) << 12;
        }
        put(host(table + ((m.va >> (12 + 9 * m.level)) & 0x1ff) * 8), (m.pa >> 12) << PTE_PPN_SHIFT | m.flags);
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
    s.mmio.resize(kMmioSize);
    for (uint64_t off = 0; off < kMmioSize; off += 8) {
        uint64_t v = 0;
        m.bus().read(kMmio + off, 8, v);
        std::memcpy(&s.mmio[off], &v, 8);
    }
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
    // Memory 8 bytes at a time: `what`[address].
    const auto words = [&](const char* what, uint64_t base, const std::vector<uint8_t>& ma, const std::vector<uint8_t>& mb) {
        for (size_t off = 0; off + 8 <= ma.size() && off + 8 <= mb.size(); off += 8) {
            uint64_t va, vb;
            std::memcpy(&va, &ma[off], 8);
            std::memcpy(&vb, &mb[off], 8);
            add(fmt::format("{}[{:#x}]", what, base + off), va, vb);
        }
    };
    words("mem", kRamBase, a.ram, b.ram);
    words("mmio", kMmio, a.mmio, b.mmio);
    return out;
}

}  // namespace locklab::rv::difftest
