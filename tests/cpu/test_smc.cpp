// Self-modifying and cross-modifying code without fence.i (cpu/code_map.h): a store to bytes a hart
// has cached as code (interpreter block or JIT TB) invalidates that code on every hart before the
// hart next executes it; a store that rewrites the rest of the executing block ends the block right
// after the store; stores to data next to code leave the code cached; a page whose code is all
// overwritten gets its fast store path back. Runs on both engines (test_engine.h).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "cpu/block_cache.h"
#include "cpu/code_map.h"
#include "cpu/tcg/jit.h"
#include "tests/cpu/core_fixture.h"

using namespace locklab::rv;
using namespace locklab::rv::test;
using namespace locklab::rv::test::enc;

namespace {

constexpr unsigned RA = 1, T0 = 5, T1 = 6, S1 = 9, A0 = 10, A1 = 11;

struct SmcFixture : CoreFixture {
    static constexpr uint64_t kFunc = kCode + 0x2000;  // a function in a page of its own
    static constexpr uint64_t kHelpers = kCode + 0x1000;

    // Point `hart` at `pc` and run it until it waits (every program here ends in WFI). A kick (the
    // invalidation work another hart queued) makes run() return early: run again.
    static void run_at(Hart& hart, uint64_t pc)
    {
        hart.pc = pc;
        RunExit e = RunExit::ExitRequest;
        for (int i = 0; i < 3 && e == RunExit::ExitRequest; ++i) e = hart.run(1'000'000);
        REQUIRE(e == RunExit::Wfi);
    }
    // kFunc: a0 = value; ret
    void put_function(int value)
    {
        load(kFunc, {addi(A0, 0, value), jalr(0, RA, 0)});
        h.code_flush();
    }
    // Code this hart has cached (decoded blocks or translated blocks).
    static size_t cached_blocks(const Hart& hart)
    {
        return tcg::jit_enabled(hart) ? size_t(tcg::jit_stats(hart).blocks_translated) : hart.blocks->size();
    }
    uint64_t store_tag(const Hart& hart, uint64_t va) const
    {
        return hart.tlb->data->entry[TlbTable::index(va)].load_tag(AccessType::Store);
    }
};

}  // namespace

TEST_CASE("code_line_mask covers the 64-byte lines a byte range touches, within its page", "[cpu][smc]")
{
    CHECK(code_line_mask(0x8000'0000, 1) == 1);
    CHECK(code_line_mask(0x8000'003f, 2) == 0b11);
    CHECK(code_line_mask(0x8000'0040, 64) == 0b10);
    CHECK(code_line_mask(0x8000'0fff, 1) == uint64_t(1) << 63);
    CHECK(code_line_mask(0x8000'0ffc, 8) == uint64_t(1) << 63);  // the next page is not this mask's
    CHECK(code_line_mask(0x8000'0000, 4096) == ~uint64_t(0));
}

TEST_CASE_METHOD(SmcFixture, "a store rewriting a later instruction of the executing block runs the new instruction",
                 "[cpu][smc]")
{
    // 0: sw t1, 12(t0)   4: nop   8: nop   12: addi a0, zero, 1 (becomes addi a0, zero, 42)   16: wfi
    h.x[T0] = kCode;
    h.x[T1] = addi(A0, 0, 42);
    const RunExit e = run_program({sw(T1, T0, 12), nop(), nop(), addi(A0, 0, 1)});
    CHECK(e == RunExit::Wfi);
    CHECK(h.x[A0] == 42);
    CHECK(h.instret == 5);  // the four instructions and the WFI, each once
}

TEST_CASE_METHOD(SmcFixture, "a store to a cached function makes its next call run the new code", "[cpu][smc]")
{
    put_function(1);
    // call kFunc; s1 = a0; patch kFunc's first instruction; call kFunc; wfi
    h.x[T0] = kFunc;
    h.x[T1] = addi(A0, 0, 42);
    run_program({jal(RA, int32_t(kFunc - kCode)), addi(S1, A0, 0), sw(T1, T0, 0),
                 jal(RA, int32_t(kFunc - (kCode + 12)))});
    CHECK(h.x[S1] == 1);
    CHECK(h.x[A0] == 42);
}

TEST_CASE_METHOD(SmcFixture, "stores to data next to cached code leave the code cached", "[cpu][smc]")
{
    put_function(7);
    // 8000 times: call kFunc; sd a0, 256(t0) (four lines past the function, same page)
    h.x[T0] = kFunc;
    h.x[T1] = 8000;
    run_program({jal(RA, int32_t(kFunc - kCode)), sd(A0, T0, 256), addi(T1, T1, -1), bne(T1, 0, -12)});
    CHECK(peek(kFunc + 256) == 7);
    CHECK((store_tag(h, kFunc) & kTlbCode) != 0);  // the page still holds code: its stores check
    CHECK(cached_blocks(h) <= 4);                  // nothing was translated again
}

TEST_CASE_METHOD(SmcFixture, "a page whose cached code was all overwritten gets its fast store path back",
                 "[cpu][smc]")
{
    put_function(5);
    // call kFunc; overwrite both of its instructions (one 8-byte store); store once more; wfi
    h.x[T0] = kFunc;
    h.x[T1] = 0;
    run_program({jal(RA, int32_t(kFunc - kCode)), sd(T1, T0, 0), sd(T1, T0, 512)});
    CHECK(h.x[A0] == 5);
    const uint64_t tag = store_tag(h, kFunc);
    CHECK((tag & kPageMask) == kFunc);
    CHECK((tag & kTlbCode) == 0);
}

TEST_CASE_METHOD(SmcFixture, "a store by one hart drops another hart's cached copy of the code", "[cpu][smc][smp]")
{
    put_function(1);
    Hart other(1, as);
    other.reset(kHelpers, 0);
    use_test_engine(other);
    csr_write_raw(other, csr::mtvec, kTrapPad);
    // helpers: 0: jal kFunc; wfi        (the other hart calls the function)
    //          8: sd zero, 512(t0); wfi (this hart touches the function's page first: a TLB entry
    //                                    filled before the page held code)
    //         16: sw t1, 0(t0); wfi     (this hart patches the function)
    load(kHelpers, {jal(RA, int32_t(kFunc - kHelpers)), wfi(), sd(0, T0, 512), wfi(), sw(T1, T0, 0), wfi()});
    h.code_flush();
    h.x[T0] = kFunc;
    h.x[T1] = addi(A0, 0, 42);
    run_at(h, kHelpers + 8);
    run_at(other, kHelpers);
    CHECK(other.x[A0] == 1);
    CHECK((store_tag(h, kFunc) & kTlbCode) != 0);  // protected by the other hart's translation
    run_at(h, kHelpers + 16);
    run_at(other, kHelpers);  // runs the queued invalidation first
    CHECK(other.x[A0] == 42);
}

TEST_CASE_METHOD(SmcFixture, "a hart spinning on a function sees another thread's rewrite without fence.i",
                 "[cpu][smc][smp]")
{
    put_function(1);
    Hart other(1, as);
    other.reset(kHelpers, 0);
    use_test_engine(other);
    csr_write_raw(other, csr::mtvec, kTrapPad);
    // other: loop: jal kFunc; sw a1, 0(s1) (tells the host it runs); beq a0, a1, loop; wfi
    load(kHelpers, {jal(RA, int32_t(kFunc - kHelpers)), sw(A1, S1, 0), beq(A0, A1, -8), wfi()});
    // this hart: sw t1, 0(t0); wfi
    load(kHelpers + 64, {sw(T1, T0, 0), wfi()});
    h.code_flush();
    other.x[A1] = 1;
    other.x[S1] = kData;
    h.x[T0] = kFunc;
    h.x[T1] = addi(A0, 0, 42);
    std::atomic<bool> stopped{false};
    std::thread spinner([&] {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (other.run(10'000) != RunExit::Wfi && std::chrono::steady_clock::now() < deadline) {
        }
        stopped = true;
    });
    // Patch once the other hart runs the function from its cache (its loop has stored the flag).
    auto running = std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(host(kData)));
    while (running.load() != 1 && !stopped) std::this_thread::yield();
    run_at(h, kHelpers + 64);
    spinner.join();
    CHECK(other.x[A0] == 42);
    CHECK(other.pc == kHelpers + 16);  // left the loop and passed its WFI
}
