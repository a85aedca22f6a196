// What self-modifying-code tracking (cpu/code_map.h) costs ordinary stores: guest MIPS of a
// three-instruction loop (sd; addi; bne) whose store goes to a page without code, to the loop's
// own page but another 64-byte line, or to the loop's own line (bytes the loop does not occupy), on
// the interpreter and on the JIT. The first is the fast path; the others take the slow path
// (kTlbCode) on every store.
#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>

#include "cpu/hart.h"
#include "cpu/tcg/jit.h"
#include "memory/address_space.h"
#include "memory/memory_region.h"
#include "tests/cpu/asm_helpers.h"

using namespace locklab;
using namespace locklab::rv;
using namespace locklab::rv::test::enc;

namespace {

constexpr uint64_t kRamBase = 0x8000'0000;
constexpr unsigned T0 = 5, T1 = 6, A0 = 10;
constexpr uint64_t kIterations = 1'000'000;

// state.range(0): the store's offset from the loop (a page away, another line, the same line);
// state.range(1): 1 = JIT.
void BM_StoreLoop(benchmark::State& state)
{
    auto ram = MemoryRegion::make_ram("ram", 1 << 20);
    AddressSpace as("bench");
    as.add_region(kRamBase, *ram);
    Hart h(0, as);
    if (state.range(1)) tcg::enable_jit(h);
    const uint32_t program[] = {sd(A0, T1, 0), addi(T0, T0, -1), bne(T0, 0, -8), wfi()};
    std::memcpy(ram->host(), program, sizeof program);
    uint64_t guest_insns = 0;
    for (auto _ : state) {
        h.reset(kRamBase, 0);
        h.x[T0] = kIterations;
        h.x[T1] = kRamBase + uint64_t(state.range(0));
        const uint64_t before = h.instret;
        while (h.run(kIterations * 4) != RunExit::Wfi) {
        }
        guest_insns += h.instret - before;
    }
    state.counters["MIPS"] = benchmark::Counter(double(guest_insns) / 1e6, benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_StoreLoop)
    ->ArgNames({"store_offset", "jit"})
    ->ArgsProduct({{0x10000, 0x800, 0x20}, {0, 1}})
    ->Unit(benchmark::kMillisecond);  // MIPS per CPU second: the host is shared

BENCHMARK_MAIN();
