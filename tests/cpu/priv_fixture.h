// Shared set-up of the privileged-architecture tests (test_csr.cpp, test_trap.cpp, test_mmu.cpp):
// one hart over an address space with RAM at the virt board's DRAM base, CSRs at reset, M-mode.
#pragma once

#include <memory>

#include "cpu/csr_defs.h"
#include "cpu/hart.h"
#include "cpu/mode_switch.h"
#include "cpu/privileged.h"
#include "memory/address_space.h"
#include "memory/memory_region.h"
#include "tests/cpu/test_engine.h"

namespace locklab::rv::test {

inline constexpr uint64_t kRamBase = 0x8000'0000;
inline constexpr uint64_t kRamSize = 16 << 20;

// Encodings of the SYSTEM instructions the tests execute.
enum class CsrOp : uint32_t { RW = 1, RS = 2, RC = 3, RWI = 5, RSI = 6, RCI = 7 };
constexpr uint32_t csr_insn(CsrOp op, unsigned rd, unsigned rs1_or_uimm, uint16_t number)
{
    return (uint32_t(number) << 20) | (rs1_or_uimm << 15) | (uint32_t(op) << 12) | (rd << 7) | 0x73;
}

struct PrivFixture {
    std::unique_ptr<MemoryRegion> ram = MemoryRegion::make_ram("ram", kRamSize);  // outlives `as`
    AddressSpace as{"test"};
    std::unique_ptr<Hart> hart;
    Hart& h;

    PrivFixture() : hart(make_hart()), h(*hart)
    {
        reset_csrs(h);
        set_priv(h, Priv::M);
        h.pc = h.next_pc = kRamBase;
    }

    std::unique_ptr<Hart> make_hart()
    {
        as.add_region(kRamBase, *ram);
        auto made = std::make_unique<Hart>(0, as);
        use_test_engine(*made);
        return made;
    }

    // Execute one CSR instruction; returns what exec_csr returned.
    bool csr(CsrOp op, unsigned rd, unsigned rs1_or_uimm, uint16_t number)
    {
        return exec_csr(h, decode(csr_insn(op, rd, rs1_or_uimm, number)));
    }
    // csrr / csrw as the assembler spells them (using x5 as the scratch register).
    bool csrr(uint16_t number, uint64_t& value)
    {
        const bool ok = csr(CsrOp::RS, 5, 0, number);
        value = h.x[5];
        return ok;
    }
    uint64_t csrr(uint16_t number)
    {
        uint64_t v = 0;
        csrr(number, v);
        return v;
    }
    bool csrw(uint16_t number, uint64_t value)
    {
        h.x[6] = value;
        return csr(CsrOp::RW, 0, 6, number);
    }
    // M-mode view without privilege checks.
    uint64_t raw(uint16_t number)
    {
        uint64_t v = 0;
        csr_read_raw(h, number, v);
        return v;
    }
    void set_raw(uint16_t number, uint64_t v) { csr_write_raw(h, number, v); }

    bool raised(Exception e) const { return h.trap_cause == uint64_t(e); }
    void clear_trap() { h.trap_cause = h.trap_tval = ~uint64_t(0); }
};

}  // namespace locklab::rv::test
