// Several harts on real host threads sharing RAM: AMOs, LR/SC retry loops and an amoswap spin lock
// around plain loads and stores must not lose a single update. (Run under TSan too: every test_cpu
// case carries the `threads` label.)
#include <catch2/catch.hpp>

#include <memory>
#include <thread>
#include <vector>

#include "tests/cpu/core_fixture.h"

using namespace locklab::rv;
using namespace locklab::rv::test;
using namespace locklab::rv::test::enc;

namespace {

constexpr unsigned A1 = 11, A2 = 12, T0 = 5, T1 = 6, T2 = 7, T3 = 28, T4 = 29, T5 = 30;

// Each hart, t2 times:
//   amoadd.w  zero, t3, (t0)                 counter 1: one AMO
//   retry: lr.w t4,(t1); addi t4,t4,1; sc.w t5,t4,(t1); bnez t5,retry     counter 2: LR/SC
//   lock:  amoswap.w t4,t3,(a1); bnez t4,lock                             spin lock
//          ld t5,(a2); addi t5,t5,1; sd t5,(a2)                           counter 3: plain
//          amoswap.w zero,zero,(a1)                                       unlock
const std::initializer_list<uint32_t> kProgram = {
    amo_w(Amo::ADD, 0, T0, T3),                                          // 0
    lr_w(T4, T1), addi(T4, T4, 1), sc_w(T5, T1, T4), bne(T5, 0, -12),    // 4..16
    amo_w(Amo::SWAP, T4, A1, T3), bne(T4, 0, -4),                        // 20, 24
    ld(T5, A2, 0), addi(T5, T5, 1), sd(T5, A2, 0),                       // 28..36
    amo_w(Amo::SWAP, 0, A1, 0),                                          // 40
    addi(T2, T2, -1), bne(T2, 0, -48),                                   // 44, 48
    wfi(),                                                               // 52
};

}  // namespace

TEST_CASE_METHOD(CoreFixture, "harts on separate threads lose no AMO or LR/SC or lock-protected update", "[cpu][interp][smp]")
{
    constexpr unsigned kHarts = 4;
    constexpr uint64_t kIterations = 3000;
    const uint64_t amo_counter = kData, lrsc_counter = kData + 64, lock = kData + 128, plain_counter = kData + 192;
    load(kCode, kProgram);

    std::vector<std::unique_ptr<Hart>> others;  // the fixture's hart is hart 0
    std::vector<Hart*> harts = {&h};
    for (unsigned id = 1; id < kHarts; ++id) harts.push_back(others.emplace_back(std::make_unique<Hart>(id, as)).get());
    for (Hart* hp : harts) {
        hp->reset(kCode, 0);
        use_test_engine(*hp);
        csr_write_raw(*hp, csr::mtvec, kTrapPad);
        hp->x[T0] = amo_counter;
        hp->x[T1] = lrsc_counter;
        hp->x[A1] = lock;
        hp->x[A2] = plain_counter;
        hp->x[T2] = kIterations;
        hp->x[T3] = 1;
    }
    std::vector<std::thread> threads;
    for (Hart* hp : harts) {
        threads.emplace_back([&hh = *hp] {
            // Small slices, so harts leave and re-enter run() (and its RCU section) many times.
            while (hh.run(500) != RunExit::Wfi) {
            }
        });
    }
    for (auto& t : threads) t.join();

    for (Hart* hp : harts) {
        CHECK(hp->pc == kCode + 56);  // every hart finished its loop, none trapped
        CHECK(hp->x[T2] == 0);
    }
    CHECK(peek(amo_counter, 4) == kHarts * kIterations);
    CHECK(peek(lrsc_counter, 4) == kHarts * kIterations);
    CHECK(peek(plain_counter) == kHarts * kIterations);
    CHECK(peek(lock, 4) == 0);
}
