// The JIT's RAM window (cpu/tcg/ram_window.h): M-mode loads from RAM skip the TLB; blocks compiled
// that way are keyed apart from blocks for translated data accesses; loads at and past the end of
// RAM, and to MMIO, still end where the interpreter ends.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "cpu/tcg/jit.h"
#include "cpu/tcg/ram_window.h"
#include "tests/cpu/core_fixture.h"

using namespace locklab::rv;
using namespace locklab::rv::test;
using namespace locklab::rv::test::enc;

namespace {

constexpr unsigned T0 = 5, T1 = 6, T2 = 7, A0 = 10, A1 = 11;

struct WindowFixture : CoreFixture {
    explicit WindowFixture(bool window = true) { tcg::enable_jit(h, {.ram_window = window}); }
};

// The host code and block lines `-d out_asm,tb_stats` and `-perfmap` print for a run of `program`.
std::string traced_run(CoreFixture& f, std::initializer_list<uint32_t> program)
{
    std::FILE* log = std::tmpfile();
    REQUIRE(log);
    tcg::set_jit_trace(f.h, {.out_asm = true, .tb_stats = true, .log = log, .perfmap = log});
    REQUIRE(f.run_program(program) == RunExit::Wfi);
    std::rewind(log);
    std::string text;
    for (int c; (c = std::fgetc(log)) != EOF;) text += char(c);
    std::fclose(log);
    tcg::set_jit_trace(f.h, {});
    return text;
}

}  // namespace

TEST_CASE("find_ram_window takes the largest RAM range of the view", "[cpu][tcg]")
{
    CoreFixture f;
    const tcg::RamWindow w = tcg::find_ram_window(f.as);
    CHECK(w.base == CoreFixture::kRamBase);
    CHECK(w.size == CoreFixture::kRamSize);
    CHECK(w.host_addend + CoreFixture::kData == reinterpret_cast<uintptr_t>(f.host(CoreFixture::kData)));
    CHECK(w.contains(CoreFixture::kRamBase + CoreFixture::kRamSize - 8, 8));
    CHECK_FALSE(w.contains(CoreFixture::kRamBase + CoreFixture::kRamSize - 4, 8));
    CHECK_FALSE(w.contains(CoreFixture::kRamBase - 1, 1));
    CHECK_FALSE(w.contains(CoreFixture::kMmioBase, 1));
}

TEST_CASE("M-mode loads use the RAM window: a bounds compare, no TLB lookup", "[cpu][tcg]")
{
    // The bounds compare of an 8-byte load: offset in RAM <= size - 8.
    const std::string bound = "cmp rax, 0x3ffff8";
    const auto program = {ld(T1, T0, 0), addi(T2, T1, 1)};
    SECTION("window on")
    {
        WindowFixture f;
        f.poke64(CoreFixture::kData, 41);
        f.h.x[T0] = CoreFixture::kData;
        const std::string text = traced_run(f, program);
        CHECK(f.h.x[T2] == 42);
        CHECK(text.find(bound) != std::string::npos);
        CHECK(text.find(" tb_80000000_phys\n") != std::string::npos);  // the -perfmap line
    }
    SECTION("window off: the TLB path, as in QEMU")
    {
        WindowFixture f(false);
        f.poke64(CoreFixture::kData, 41);
        f.h.x[T0] = CoreFixture::kData;
        const std::string text = traced_run(f, program);
        CHECK(f.h.x[T2] == 42);
        CHECK(text.find(bound) == std::string::npos);
        CHECK(text.find(" tb_80000000\n") != std::string::npos);
    }
}

TEST_CASE("a block translated for M-mode is not reused when data accesses are translated", "[cpu][tcg]")
{
    // The same code at the same physical address loads from va: physical va in M-mode, the page
    // va maps to (kData) in S-mode under Sv39. A block keyed without the data context would keep
    // reading physical va.
    const uint64_t va = CoreFixture::kData + 0x1000;
    WindowFixture f;
    f.poke64(va, 111);
    f.poke64(CoreFixture::kData, 222);
    f.h.x[T0] = va;
    REQUIRE(f.run_program({ld(T1, T0, 0)}) == RunExit::Wfi);
    CHECK(f.h.x[T1] == 111);

    f.enter_supervisor_sv39(va, CoreFixture::PTE_R | CoreFixture::PTE_A);
    f.h.pc = CoreFixture::kCode;  // no code flush: the M-mode block is still cached
    f.h.x[T1] = 0;
    REQUIRE(f.h.run(100) == RunExit::Wfi);
    CHECK(f.h.x[T1] == 222);

    set_priv(f.h, Priv::M);  // and back: the M-mode block again
    f.h.pc = CoreFixture::kCode;
    REQUIRE(f.h.run(100) == RunExit::Wfi);
    CHECK(f.h.x[T1] == 111);
}

TEST_CASE("window loads at the end of RAM, across it and to MMIO end as on the interpreter", "[cpu][tcg]")
{
    const uint64_t end = CoreFixture::kRamBase + CoreFixture::kRamSize;
    for (const uint64_t addr : {end - 8, end - 4, end, CoreFixture::kMmioBase, CoreFixture::kRamBase - 8}) {
        INFO("address " << std::hex << addr);
        CoreFixture interp;
        WindowFixture jit;
        for (CoreFixture* f : {&interp, static_cast<CoreFixture*>(&jit)}) {
            f->poke64(end - 8, 0x8877665544332211ull);
            f->h.x[T0] = addr;
            // lui, zero-extended by two shifts, makes the address a constant after folding: the
            // immediate form of the window lookup, checked at translation time; T0 + 0 is the
            // register form.
            const uint64_t hi = (addr + 0x800) >> 12;
            const auto lo = int32_t(addr - (hi << 12));
            REQUIRE(f->run_program({lw(A0, T0, 0), ld(T1, T0, 0), lui(A1, int32_t(hi)), slli(A1, A1, 32),
                                    srli(A1, A1, 32), ld(T2, A1, lo), addi(A0, A0, 1)}) == RunExit::Wfi);
        }
        CHECK(jit.h.x[A0] == interp.h.x[A0]);
        CHECK(jit.h.x[T1] == interp.h.x[T1]);
        CHECK(jit.h.x[T2] == interp.h.x[T2]);
        CHECK(jit.h.pc == interp.h.pc);
        CHECK(jit.h.instret == interp.h.instret);
        CHECK(jit.csr(csr::mcause) == interp.csr(csr::mcause));
        CHECK(jit.csr(csr::mepc) == interp.csr(csr::mepc));
        CHECK(jit.csr(csr::mtval) == interp.csr(csr::mtval));
    }
}
