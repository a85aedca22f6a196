// CLINT (devices/clint.h): mtime at 10 MHz of the Virtual clock, msip, and mtimecmp raising MTI at
// its deadline through a timer in the AioContext (the test drives the Virtual clock by hand).
#include <catch2/catch.hpp>

#include <chrono>
#include <vector>

#include "device_fixture.h"
#include "devices/clint.h"
#include "devices/virt_memmap.h"

using namespace locklab;
using namespace locklab::test;

namespace {

constexpr hwaddr kBase = virt::kClintBase;
constexpr hwaddr kMtime = kBase + Clint::kMtime;
hwaddr msip(unsigned hart) { return kBase + Clint::kMsipBase + 4 * hart; }
hwaddr mtimecmp(unsigned hart) { return kBase + Clint::kMtimecmpBase + 8 * hart; }

constexpr int64_t kNsPerTick = 1'000'000'000 / virt::kTimebaseHz;  // 100 ns

Ref<Clint> make_clint(AioContext& ctx, FakeIrqSink (&harts)[2])
{
    std::vector<Clint::HartLines> lines;
    for (auto& h : harts) lines.push_back({IrqLine(&h, virt::kHartMsi), IrqLine(&h, virt::kHartMti)});
    return make_object<Clint>(virt::kClintSize, virt::kTimebaseHz, ctx, std::move(lines));
}

struct ClintBench {
    ManualVirtualClock clock;
    AioContext ctx{"clint-test"};
    FakeIrqSink hart[2];
    AddressSpace as{"clint-test"};
    Mapped<Clint> clint{as, kBase, make_clint(ctx, hart)};

    bool mti(unsigned h) const { return hart[h].level(virt::kHartMti); }
};

}  // namespace

TEST_CASE("mtime counts the Virtual clock at 10 MHz", "[devices][clint]")
{
    ClintBench b;
    const uint64_t t0 = read_reg(b.as, kMtime, 8);
    CHECK(t0 == uint64_t(b.clock.now() / kNsPerTick));
    b.clock.advance(1'000'000);  // 1 ms
    CHECK(read_reg(b.as, kMtime, 8) == t0 + 10'000);
    CHECK(b.clint->mtime() == t0 + 10'000);
    b.clock.advance(kNsPerTick - 1);  // not yet a whole tick
    CHECK(read_reg(b.as, kMtime, 8) == t0 + 10'000);
}

TEST_CASE("Writing mtime, whole or by halves, moves the counter every hart sees", "[devices][clint]")
{
    ClintBench b;
    write_reg(b.as, kMtime, 8, 0x1'2345'6789);
    CHECK(read_reg(b.as, kMtime, 8) == 0x1'2345'6789);
    b.clock.advance(5 * kNsPerTick);
    CHECK(b.clint->mtime() == 0x1'2345'678e);
    write_reg(b.as, kMtime + 4, 4, 0x7);  // high half only
    CHECK(read_reg(b.as, kMtime, 8) == 0x7'2345'678e);
    CHECK(read_reg(b.as, kMtime, 4) == 0x2345'678e);
    CHECK(read_reg(b.as, kMtime + 4, 4) == 0x7);
}

TEST_CASE("msip bit 0 drives the hart's software interrupt and reads back", "[devices][clint]")
{
    ClintBench b;
    write_reg(b.as, msip(1), 4, 1);
    CHECK(b.hart[1].level(virt::kHartMsi));
    CHECK_FALSE(b.hart[0].level(virt::kHartMsi));
    CHECK(read_reg(b.as, msip(1), 4) == 1);
    write_reg(b.as, msip(1), 4, 0xfffffffe);  // only bit 0 counts
    CHECK_FALSE(b.hart[1].level(virt::kHartMsi));
    CHECK(read_reg(b.as, msip(1), 4) == 0);
}

TEST_CASE("mtimecmp at or below mtime raises MTI at once", "[devices][clint]")
{
    ClintBench b;
    const uint64_t now = read_reg(b.as, kMtime, 8);
    write_reg(b.as, mtimecmp(0), 8, now);
    CHECK(b.mti(0));
    CHECK_FALSE(b.mti(1));
}

TEST_CASE("mtimecmp in the future lowers MTI and the timer raises it when mtime gets there",
          "[devices][clint]")
{
    ClintBench b;
    write_reg(b.as, mtimecmp(0), 8, 0);  // MTI high ...
    REQUIRE(b.mti(0));
    const uint64_t now = read_reg(b.as, kMtime, 8);
    write_reg(b.as, mtimecmp(0), 8, now + 100);  // ... until mtimecmp moves 10 us ahead
    CHECK_FALSE(b.mti(0));
    b.clock.advance(100 * kNsPerTick - 1);
    poll_ready(b.ctx);
    CHECK_FALSE(b.mti(0));
    b.clock.advance(1);
    poll_ready(b.ctx);
    CHECK(b.mti(0));
    b.clock.advance(1'000'000);
    poll_ready(b.ctx);
    CHECK(b.mti(0));  // level: stays high until mtimecmp is rewritten
    CHECK_FALSE(b.mti(1));
}

TEST_CASE("mtimecmp written as two halves compares the whole 64-bit value", "[devices][clint]")
{
    ClintBench b;
    write_reg(b.as, mtimecmp(1), 4, 0);           // low half 0, high half still 0: in the past
    CHECK(b.mti(1));
    write_reg(b.as, mtimecmp(1) + 4, 4, 0xffffffff);  // now far in the future
    CHECK_FALSE(b.mti(1));
    CHECK(read_reg(b.as, mtimecmp(1), 8) == 0xffffffff'00000000);
    b.clock.advance(int64_t(1) << 60);  // decades later: still not there, and nothing overflowed
    poll_ready(b.ctx);
    CHECK_FALSE(b.mti(1));
}

TEST_CASE("Writing mtime re-evaluates every hart's comparison at once", "[devices][clint]")
{
    ClintBench b;
    const uint64_t now = read_reg(b.as, kMtime, 8);
    write_reg(b.as, mtimecmp(1), 8, now + 1000);
    REQUIRE_FALSE(b.mti(1));
    write_reg(b.as, kMtime, 8, now + 1000);
    CHECK(b.mti(1));
    write_reg(b.as, kMtime, 8, 0);  // back in time: the deadline is ahead again
    CHECK_FALSE(b.mti(1));
}

TEST_CASE("CLINT holes and absent harts read as 0 and ignore writes; wrong sizes are access faults",
          "[devices][clint]")
{
    ClintBench b;
    const uint64_t errors = b.clint->guest_errors();
    CHECK(read_reg(b.as, msip(2), 4) == 0);  // two harts only
    write_reg(b.as, msip(2), 4, 1);
    CHECK_FALSE(b.hart[0].level(virt::kHartMsi));
    CHECK_FALSE(b.hart[1].level(virt::kHartMsi));
    CHECK(read_reg(b.as, mtimecmp(2), 8) == 0);
    write_reg(b.as, kBase + 0x8000, 4, 1);
    CHECK(b.clint->guest_errors() == errors + 4);
    uint64_t v = 0;
    CHECK(b.as.read(msip(0), 8, v) == MemTx::AccessError);      // msip is 4 bytes
    CHECK(b.as.read(kMtime, 2, v) == MemTx::AccessError);
    CHECK(b.as.read(kMtime + 4, 8, v) == MemTx::AccessError);   // misaligned
}

TEST_CASE("The timer fires on the host's Virtual clock without anyone polling the CLINT", "[devices][clint]")
{
    AioContext ctx("clint-host-clock");
    FakeIrqSink hart[2];
    AddressSpace as("clint-host-clock");
    Mapped<Clint> clint(as, kBase, make_clint(ctx, hart));
    const auto start = std::chrono::steady_clock::now();
    write_reg(as, mtimecmp(0), 8, read_reg(as, kMtime, 8) + 20'000);  // 2 ms
    REQUIRE(poll_until(ctx, [&] { return hart[0].level(virt::kHartMti); }));
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(2));
    CHECK(clint->mtime() >= read_reg(as, mtimecmp(0), 8));
}

TEST_CASE("An armed CLINT timer does nothing once the CLINT is unrealized", "[devices][clint]")
{
    ClintBench b;
    write_reg(b.as, mtimecmp(0), 8, read_reg(b.as, kMtime, 8) + 10);
    b.clint->unrealize();
    b.clock.advance(1'000'000);
    poll_ready(b.ctx);
    CHECK_FALSE(b.mti(0));
    uint64_t v = 0;
    CHECK(b.as.read(kMtime, 8, v) == MemTx::DeviceGone);
}

TEST_CASE("Reset sets mtime to 0, clears msip and compares every mtimecmp again", "[devices][clint]")
{
    ClintBench b;
    write_reg(b.as, msip(0), 4, 1);
    write_reg(b.as, mtimecmp(1), 8, read_reg(b.as, kMtime, 8) + 1000);
    REQUIRE_FALSE(b.mti(1));
    b.clint->reset();
    CHECK(read_reg(b.as, kMtime, 8) == 0);
    CHECK_FALSE(b.hart[0].level(virt::kHartMsi));
    CHECK(read_reg(b.as, msip(0), 4) == 0);
    CHECK(b.mti(0));  // mtimecmp 0 <= mtime 0
    CHECK_FALSE(b.mti(1));
    CHECK(read_reg(b.as, mtimecmp(1), 8) > 1000);  // mtimecmp survives reset
    b.clock.advance(1000 * kNsPerTick);
    CHECK(read_reg(b.as, kMtime, 8) == 1000);
}
