// Guest MIPS of the interpreter on small integer loops, each run to completion through Hart::run()
// on one hart with RAM at the virt DRAM base (M-mode, bare translation: the softmmu TLB still
// resolves every fetch block and data access).
#include <benchmark/benchmark.h>

#include <cstring>
#include <initializer_list>
#include <memory>

#include "cpu/hart.h"
#include "memory/address_space.h"
#include "memory/memory_region.h"
#include "tests/cpu/asm_helpers.h"

using namespace locklab;
using namespace locklab::rv;
using namespace locklab::rv::test::enc;

namespace {

constexpr uint64_t kRamBase = 0x8000'0000;
constexpr uint64_t kData = kRamBase + 0x10000;
constexpr unsigned T0 = 5, T1 = 6, T2 = 7, A0 = 10, A1 = 11;

// One hart over 1 MiB of RAM running `program` (ends with WFI) with t0 = the iteration count.
void run_kernel(benchmark::State& state, std::initializer_list<uint32_t> program)
{
    auto ram = MemoryRegion::make_ram("ram", 1 << 20);
    AddressSpace as("bench");
    as.add_region(kRamBase, *ram);
    Hart h(0, as);
    uint64_t pa = kRamBase;
    for (uint32_t insn : program) {
        std::memcpy(ram->host() + (pa - kRamBase), &insn, 4);
        pa += 4;
    }
    const uint64_t iterations = uint64_t(state.range(0));
    uint64_t guest_insns = 0;
    for (auto _ : state) {
        h.reset(kRamBase, 0);
        h.x[T0] = iterations;
        h.x[A0] = kData;
        while (h.run(uint64_t(1) << 24) != RunExit::Wfi) {
        }
        guest_insns += h.instret;
    }
    state.counters["MIPS"] = benchmark::Counter(double(guest_insns) / 1e6, benchmark::Counter::kIsRate);
}

// addi/bne: the tightest loop (2 instructions, one chained block per iteration).
void BM_AddiBne(benchmark::State& state) { run_kernel(state, {addi(T0, T0, -1), bne(T0, 0, -4), wfi()}); }

// Load, add, store to one location: the data TLB fast path.
void BM_LoadStore(benchmark::State& state)
{
    run_kernel(state, {ld(T1, A0, 0), addi(T1, T1, 1), sd(T1, A0, 0), lw(T2, A0, 8), add(T1, T1, T2),
                       sw(T1, A0, 12), addi(T0, T0, -1), bne(T0, 0, -28), wfi()});
}

// Arithmetic mix with a call and return (jal/jalr) per iteration.
void BM_MixedCall(benchmark::State& state)
{
    run_kernel(state, {
                          jal(1, 16),                                      // 0: call f
                          addi(T0, T0, -1), bne(T0, 0, -8), wfi(),         // 4, 8, 12
                          mul(T1, T0, T0), xor_(T2, T2, T1), srli(A1, T2, 3), add(T2, T2, A1),  // 16..28: f
                          sltu(A1, T1, T2), or_(T2, T2, A1),              // 32, 36
                          jalr(0, 1, 0),                                   // 40: ret
                      });
}

}  // namespace

BENCHMARK(BM_AddiBne)->Arg(10'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AddiBne)->Arg(1'000'000'000)->Iterations(1)->Unit(benchmark::kMillisecond);  // 2e9 insns
BENCHMARK(BM_LoadStore)->Arg(2'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MixedCall)->Arg(2'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
