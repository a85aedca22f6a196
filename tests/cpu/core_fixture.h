// Shared set-up of the execution-core tests (test_semantics*.cpp, test_memory_access*.cpp,
// test_interp*.cpp): a hart over an address space with RAM at the virt DRAM base and one MMIO page
// of a TestDevice (plain byte registers, tests/memory/test_device.h), programs written into RAM
// with the encoders of tests/cpu/asm_helpers.h, and a trap pad: mtvec points at a WFI, so a trap
// ends Hart::run() with RunExit::Wfi and the pc just after the pad.
#pragma once

#include <cstring>
#include <initializer_list>
#include <memory>

#include "cpu/csr_defs.h"
#include "cpu/hart.h"
#include "cpu/mode_switch.h"
#include "cpu/privileged.h"
#include "memory/address_space.h"
#include "memory/memory_region.h"
#include "tests/cpu/asm_helpers.h"
#include "tests/cpu/test_engine.h"
#include "tests/memory/test_device.h"

namespace locklab::rv::test {

struct CoreFixture {
    static constexpr uint64_t kRamBase = 0x8000'0000;
    static constexpr uint64_t kRamSize = 4 << 20;
    static constexpr uint64_t kMmioBase = 0x1000'0000;  // one page of TestDevice registers
    static constexpr uint64_t kMmioSize = 0x1000;
    static constexpr uint64_t kUnassigned = 0x2000'0000;
    static constexpr uint64_t kCode = kRamBase;               // programs start here
    static constexpr uint64_t kTrapPad = kRamBase + 0x8000;   // mtvec: a WFI
    static constexpr uint64_t kData = kRamBase + 0x10000;     // scratch data
    static constexpr uint64_t kPageTables = kRamBase + 0x200000;

    std::unique_ptr<MemoryRegion> ram = MemoryRegion::make_ram("ram", kRamSize);
    Ref<locklab::test::TestDevice> dev = Ref<locklab::test::TestDevice>::adopt(new locklab::test::TestDevice(kMmioSize));
    AddressSpace as{"core-test"};
    std::unique_ptr<Hart> hart = std::make_unique<Hart>(0, as);
    Hart& h = *hart;

    CoreFixture()
    {
        as.add_region(kRamBase, *ram);
        dev->realize();
        as.add_region(kMmioBase, dev->mmio());
        h.reset(kCode, 0);
        set_csr(csr::mtvec, kTrapPad);
        poke32(kTrapPad, enc::wfi());
        use_test_engine(h);
    }
    ~CoreFixture() { as.remove_region(dev->mmio()); }

    uint8_t* host(uint64_t pa) { return ram->host() + (pa - kRamBase); }
    void poke32(uint64_t pa, uint32_t v) { std::memcpy(host(pa), &v, 4); }
    void poke16(uint64_t pa, uint16_t v) { std::memcpy(host(pa), &v, 2); }
    void poke64(uint64_t pa, uint64_t v) { std::memcpy(host(pa), &v, 8); }
    uint64_t peek(uint64_t pa, unsigned size = 8)
    {
        uint64_t v = 0;
        std::memcpy(&v, host(pa), size);
        return v;
    }
    // Write 32-bit instructions from `pa` on; returns the address after them.
    uint64_t load(uint64_t pa, std::initializer_list<uint32_t> insns)
    {
        for (uint32_t i : insns) {
            poke32(pa, i);
            pa += 4;
        }
        return pa;
    }
    // Load `insns` followed by a WFI at kCode, start there, and run until the hart waits.
    RunExit run_program(std::initializer_list<uint32_t> insns, uint64_t budget = 100000)
    {
        end_ = load(kCode, insns);
        poke32(end_, enc::wfi());
        h.code_flush();  // new code behind the hart's back, as a loader would write it
        h.pc = kCode;
        return h.run(budget);
    }
    // After run_program: did the program reach its final WFI (rather than the trap pad)?
    bool finished() const { return h.pc == end_ + 4; }
    bool trapped(Exception e)
    {
        return h.pc == kTrapPad + 4 && csr(csr::mcause) == uint64_t(e);
    }

    uint64_t csr(uint16_t number)
    {
        uint64_t v = 0;
        csr_read_raw(h, number, v);
        return v;
    }
    void set_csr(uint16_t number, uint64_t v) { csr_write_raw(h, number, v); }

    // ---- Sv39 page tables (3 levels, 4 KiB leaves), built in RAM at kPageTables ----
    static constexpr uint64_t PTE_V = 1, PTE_R = 2, PTE_W = 4, PTE_X = 8, PTE_U = 16, PTE_A = 64, PTE_D = 128;
    void map(uint64_t va, uint64_t pa, uint64_t perms)
    {
        uint64_t table = kPageTables;
        for (int level = 2; level > 0; --level) {
            const uint64_t slot = table + ((va >> (12 + 9 * level)) & 0x1ff) * 8;
            uint64_t pte = peek(slot);
            if (!(pte & PTE_V)) {
                next_table_ += 0x1000;
                pte = (next_table_ >> 12) << 10 | PTE_V;
                poke64(slot, pte);
            }
            table = (pte >> 10) << 12;
        }
        poke64(table + ((va >> 12) & 0x1ff) * 8, (pa >> 12) << 10 | perms | PTE_V);
    }
    void enable_sv39() { set_csr(csr::satp, SATP_MODE_SV39 << SATP_MODE_SHIFT | kPageTables >> 12); }
    // S-mode under Sv39 with the code page identity-mapped (R, X) and `va` mapped to kData.
    void enter_supervisor_sv39(uint64_t va, uint64_t data_perms)
    {
        map(kCode, kCode, PTE_R | PTE_X | PTE_A);
        map(va, kData, data_perms);
        enable_sv39();
        set_priv(h, Priv::S);
    }

private:
    uint64_t end_ = 0;
    uint64_t next_table_ = kPageTables;
};

}  // namespace locklab::rv::test
