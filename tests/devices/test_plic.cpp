// PLIC (devices/plic.h): priorities, pending, enables, thresholds and claim/complete across the M and
// S contexts of two harts, through the address space at the `virt` addresses.
#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "device_fixture.h"
#include "devices/plic.h"
#include "devices/virt_memmap.h"

using namespace locklab;
using namespace locklab::test;

namespace {

constexpr hwaddr kBase = virt::kPlicBase;
hwaddr priority(unsigned irq) { return kBase + 4 * irq; }
hwaddr pending(unsigned word) { return kBase + Plic::kPendingBase + 4 * word; }
hwaddr enable(unsigned ctx, unsigned word) { return kBase + Plic::kEnableBase + Plic::kEnableStride * ctx + 4 * word; }
hwaddr threshold(unsigned ctx) { return kBase + Plic::kContextBase + Plic::kContextStride * ctx; }
hwaddr claim(unsigned ctx) { return threshold(ctx) + Plic::kClaimComplete; }

// Two harts: contexts 0/1 = hart 0 M/S, 2/3 = hart 1 M/S.
struct PlicBench {
    FakeIrqSink hart[2];
    AddressSpace as{"plic-test"};
    Mapped<Plic> plic{as, kBase,
                      make_object<Plic>(virt::kPlicSize, virt::kPlicSources, virt::kPlicPriorityBits,
                                        std::vector<IrqLine>{IrqLine(&hart[0], virt::kHartMei), IrqLine(&hart[0], virt::kHartSei),
                                                             IrqLine(&hart[1], virt::kHartMei), IrqLine(&hart[1], virt::kHartSei)})};

    void enable_source(unsigned ctx, unsigned irq)
    {
        write_reg(as, enable(ctx, irq / 32), 4, read_reg(as, enable(ctx, irq / 32), 4) | (1u << (irq % 32)));
    }
    bool pending_bit(unsigned irq) { return read_reg(as, pending(irq / 32), 4) >> (irq % 32) & 1; }
    uint64_t claim_of(unsigned ctx) { return read_reg(as, claim(ctx), 4); }
    void complete(unsigned ctx, unsigned irq) { write_reg(as, claim(ctx), 4, irq); }
};

}  // namespace

TEST_CASE("PLIC priorities keep the low 3 bits of what is written, and source 0 stays 0", "[devices][plic]")
{
    PlicBench b;
    write_reg(b.as, priority(5), 4, 7);
    CHECK(read_reg(b.as, priority(5), 4) == 7);
    write_reg(b.as, priority(5), 4, 9);
    CHECK(read_reg(b.as, priority(5), 4) == 1);
    write_reg(b.as, priority(0), 4, 3);
    CHECK(read_reg(b.as, priority(0), 4) == 0);
    write_reg(b.as, threshold(1), 4, 0xf);
    CHECK(read_reg(b.as, threshold(1), 4) == 7);
}

TEST_CASE("A high input latches pending; a low input does not clear it", "[devices][plic]")
{
    PlicBench b;
    b.plic->set_irq(40, true);
    CHECK(b.pending_bit(40));
    b.plic->set_irq(40, false);
    CHECK(b.pending_bit(40));
    CHECK_FALSE(b.pending_bit(41));
}

TEST_CASE("A context's line is high only for an enabled source with priority above its threshold",
          "[devices][plic]")
{
    PlicBench b;
    write_reg(b.as, priority(10), 4, 3);
    b.plic->set_irq(10, true);
    CHECK_FALSE(b.hart[0].level(virt::kHartMei));  // not enabled
    b.enable_source(0, 10);
    CHECK(b.hart[0].level(virt::kHartMei));
    write_reg(b.as, threshold(0), 4, 3);  // priority must be strictly above the threshold
    CHECK_FALSE(b.hart[0].level(virt::kHartMei));
    write_reg(b.as, threshold(0), 4, 2);
    CHECK(b.hart[0].level(virt::kHartMei));
    write_reg(b.as, priority(10), 4, 0);  // priority 0 never interrupts
    CHECK_FALSE(b.hart[0].level(virt::kHartMei));
}

TEST_CASE("Claim returns the highest-priority source (ties: lowest number) and clears its pending bit",
          "[devices][plic]")
{
    PlicBench b;
    for (auto [irq, prio] : {std::pair{3u, 2u}, {71u, 5u}, {9u, 5u}}) {
        write_reg(b.as, priority(irq), 4, prio);
        b.enable_source(0, irq);
        b.plic->set_irq(irq, true);
    }
    CHECK(b.claim_of(0) == 9);
    CHECK_FALSE(b.pending_bit(9));
    CHECK(b.pending_bit(71));
    CHECK(b.claim_of(0) == 71);
    CHECK(b.claim_of(0) == 3);
    CHECK(b.claim_of(0) == 0);  // nothing left
    CHECK_FALSE(b.hart[0].level(virt::kHartMei));
}

TEST_CASE("A claimed source cannot be claimed again until it is completed", "[devices][plic]")
{
    PlicBench b;
    write_reg(b.as, priority(7), 4, 1);
    b.enable_source(0, 7);
    b.plic->set_irq(7, true);
    REQUIRE(b.claim_of(0) == 7);
    b.plic->set_irq(7, true);  // the device raises its line again while the guest handles it
    CHECK(b.pending_bit(7));
    CHECK_FALSE(b.hart[0].level(virt::kHartMei));
    CHECK(b.claim_of(0) == 0);
    b.complete(0, 7);
    CHECK(b.hart[0].level(virt::kHartMei));
    CHECK(b.claim_of(0) == 7);
}

TEST_CASE("Each hart's M context drives its MEI line and its S context its SEI line", "[devices][plic]")
{
    PlicBench b;
    write_reg(b.as, priority(1), 4, 1);
    write_reg(b.as, priority(2), 4, 1);
    b.enable_source(1, 1);  // hart 0, S-mode
    b.enable_source(2, 2);  // hart 1, M-mode
    b.plic->set_irq(1, true);
    CHECK(b.hart[0].level(virt::kHartSei));
    CHECK_FALSE(b.hart[0].level(virt::kHartMei));
    CHECK_FALSE(b.hart[1].level(virt::kHartMei));
    b.plic->set_irq(2, true);
    CHECK(b.hart[1].level(virt::kHartMei));
    CHECK_FALSE(b.hart[1].level(virt::kHartSei));
    CHECK(b.claim_of(3) == 0);  // hart 1 S-mode has nothing enabled
    CHECK(b.claim_of(2) == 2);
    CHECK_FALSE(b.hart[1].level(virt::kHartMei));
}

TEST_CASE("A claim by one context takes the source away from every other context", "[devices][plic]")
{
    PlicBench b;
    write_reg(b.as, priority(33), 4, 4);
    b.enable_source(0, 33);
    b.enable_source(3, 33);
    b.plic->set_irq(33, true);
    CHECK(b.hart[0].level(virt::kHartMei));
    CHECK(b.hart[1].level(virt::kHartSei));
    CHECK(b.claim_of(3) == 33);
    CHECK_FALSE(b.hart[0].level(virt::kHartMei));
    CHECK(b.claim_of(0) == 0);
}

TEST_CASE("Complete does not check the enable bit of the completing context", "[devices][plic]")
{
    PlicBench b;
    write_reg(b.as, priority(12), 4, 1);
    b.enable_source(0, 12);
    b.plic->set_irq(12, true);
    REQUIRE(b.claim_of(0) == 12);
    write_reg(b.as, enable(0, 0), 4, 0);
    b.complete(0, 12);
    b.plic->set_irq(12, true);
    b.enable_source(2, 12);
    CHECK(b.claim_of(2) == 12);  // released by the completion above
}

TEST_CASE("Source 0 cannot be enabled and pending bits ignore writes", "[devices][plic]")
{
    PlicBench b;
    write_reg(b.as, enable(0, 0), 4, 0xffffffff);
    CHECK(read_reg(b.as, enable(0, 0), 4) == 0xfffffffe);
    b.plic->set_irq(4, true);
    write_reg(b.as, pending(0), 4, 0);  // read-only: logged, ignored
    CHECK(b.pending_bit(4));
    CHECK(b.plic->guest_errors() == 1);
}

TEST_CASE("PLIC holes and missing contexts read as 0 and ignore writes; non-word accesses fault",
          "[devices][plic]")
{
    PlicBench b;
    const uint64_t errors = b.plic->guest_errors();
    CHECK(read_reg(b.as, pending(3), 4) == 0);        // 96 sources: 3 pending words
    write_reg(b.as, enable(0, 3), 4, ~0u);            // a driver clearing a whole enable block
    CHECK(read_reg(b.as, enable(0, 3), 4) == 0);
    write_reg(b.as, threshold(4), 4, 1);              // 2 harts: contexts 0..3
    CHECK(read_reg(b.as, threshold(4), 4) == 0);
    CHECK(read_reg(b.as, threshold(0) + 8, 4) == 0);
    CHECK(read_reg(b.as, priority(96), 4) == 0);
    CHECK(b.plic->guest_errors() == errors + 7);
    uint64_t v = 0;
    CHECK(b.as.read(priority(1), 1, v) == MemTx::AccessError);
    CHECK(b.as.write(priority(1), 8, 1) == MemTx::AccessError);
    CHECK(b.as.read(priority(1) + 2, 4, v) == MemTx::AccessError);  // misaligned
}

TEST_CASE("Inputs raised concurrently from many threads all latch", "[devices][plic][threads]")
{
    PlicBench b;
    for (unsigned irq = 1; irq < virt::kPlicSources; ++irq) {
        write_reg(b.as, priority(irq), 4, 1);
        b.enable_source(0, irq);
    }
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (unsigned irq = 1 + t; irq < virt::kPlicSources; irq += 4) b.plic->set_irq(irq, true);
        });
    for (auto& t : threads) t.join();
    unsigned claimed = 0;
    while (uint64_t irq = b.claim_of(0)) {
        ++claimed;
        b.complete(0, unsigned(irq));
    }
    CHECK(claimed == virt::kPlicSources - 1);
}

TEST_CASE("PLIC reset clears priorities, enables, thresholds and pending and lowers the outputs",
          "[devices][plic]")
{
    PlicBench b;
    write_reg(b.as, priority(3), 4, 2);
    write_reg(b.as, threshold(0), 4, 1);
    b.enable_source(0, 3);
    b.plic->set_irq(3, true);
    REQUIRE(b.hart[0].level(virt::kHartMei));
    b.plic->reset();
    CHECK_FALSE(b.hart[0].level(virt::kHartMei));
    CHECK(read_reg(b.as, priority(3), 4) == 0);
    CHECK(read_reg(b.as, threshold(0), 4) == 0);
    CHECK(read_reg(b.as, enable(0, 0), 4) == 0);
    CHECK_FALSE(b.pending_bit(3));
}
