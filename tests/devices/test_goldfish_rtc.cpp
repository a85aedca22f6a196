// goldfish RTC (devices/goldfish_rtc.h): wall-clock time with a guest-settable offset, the
// TIME_LOW/TIME_HIGH latch, and the alarm as a Realtime timer raising IRQ 11.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "device_fixture.h"
#include "devices/goldfish_rtc.h"
#include "devices/virt_memmap.h"

using namespace locklab;
using namespace locklab::test;

namespace {

constexpr hwaddr kBase = virt::kRtcBase;
constexpr int64_t kMs = 1'000'000;

struct RtcBench {
    AioContext ctx{"rtc-test"};
    FakeIrqSink plic;
    AddressSpace as{"rtc-test"};
    Mapped<GoldfishRtc> rtc{as, kBase,
                            make_object<GoldfishRtc>(virt::kRtcSize, ctx, IrqLine(&plic, virt::kRtcIrq))};

    uint64_t time() { return read_reg(as, kBase + GoldfishRtc::kTimeLow, 4) | read_reg(as, kBase + GoldfishRtc::kTimeHigh, 4) << 32; }
    void set_alarm(uint64_t t)
    {
        write_reg(as, kBase + GoldfishRtc::kAlarmHigh, 4, t >> 32);
        write_reg(as, kBase + GoldfishRtc::kAlarmLow, 4, uint32_t(t));
    }
    bool irq() const { return plic.level(virt::kRtcIrq); }
};

}  // namespace

TEST_CASE("The RTC reads the host's wall clock in ns since the epoch", "[devices][rtc]")
{
    RtcBench b;
    const auto before = uint64_t(clock_ns(ClockType::Realtime));
    const uint64_t t = b.time();
    const auto after = uint64_t(clock_ns(ClockType::Realtime));
    CHECK(t >= before);
    CHECK(t <= after);
}

TEST_CASE("Reading TIME_LOW latches the high half that TIME_HIGH returns", "[devices][rtc]")
{
    RtcBench b;
    // Put the low half just below a carry into the high half, then read across it.
    write_reg(b.as, kBase + GoldfishRtc::kTimeHigh, 4, 0x10);
    write_reg(b.as, kBase + GoldfishRtc::kTimeLow, 4, 0xffffffff - 2 * kMs);
    const uint64_t low = read_reg(b.as, kBase + GoldfishRtc::kTimeLow, 4);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the high half has moved on by now
    const uint64_t high = read_reg(b.as, kBase + GoldfishRtc::kTimeHigh, 4);
    CHECK(high == 0x10);
    CHECK(low >= 0xffffffff - 2 * kMs);
    CHECK(b.time() >> 32 == 0x11);
}

TEST_CASE("Writing the time sets the guest's clock, which keeps running from there", "[devices][rtc]")
{
    RtcBench b;
    write_reg(b.as, kBase + GoldfishRtc::kTimeHigh, 4, 0);
    write_reg(b.as, kBase + GoldfishRtc::kTimeLow, 4, 1000);
    const uint64_t t = b.time();
    CHECK(t >= 1000);
    CHECK(t < 1000 + 1000 * kMs);
}

TEST_CASE("An alarm raises IRQ 11 when it expires, if interrupts are enabled", "[devices][rtc]")
{
    RtcBench b;
    write_reg(b.as, kBase + GoldfishRtc::kIrqEnabled, 4, 1);
    const uint64_t alarm = b.time() + 20 * kMs;
    b.set_alarm(alarm);
    CHECK(read_reg(b.as, kBase + GoldfishRtc::kAlarmStatus, 4) == 1);
    CHECK_FALSE(b.irq());
    REQUIRE(poll_until(b.ctx, [&] { return b.irq(); }));
    // Not early by the RTC's own clock (the host's realtime clock, as QEMU's rtc_clock=host): a
    // steady-clock interval is no measure of it, since the host may step its realtime clock (an
    // ASan run saw the IRQ 15.9 ms of steady time after a 20 ms alarm).
    CHECK(b.time() >= alarm);
    CHECK(read_reg(b.as, kBase + GoldfishRtc::kAlarmStatus, 4) == 0);
    write_reg(b.as, kBase + GoldfishRtc::kClearInterrupt, 4, 1);
    CHECK_FALSE(b.irq());
}

TEST_CASE("An alarm in the past fires at once; the line follows IRQ_ENABLED", "[devices][rtc]")
{
    RtcBench b;
    b.set_alarm(b.time() - kMs);
    CHECK_FALSE(b.irq());  // pending, but not enabled
    CHECK(read_reg(b.as, kBase + GoldfishRtc::kAlarmStatus, 4) == 0);
    write_reg(b.as, kBase + GoldfishRtc::kIrqEnabled, 4, 1);
    CHECK(b.irq());
    write_reg(b.as, kBase + GoldfishRtc::kIrqEnabled, 4, 0);
    CHECK_FALSE(b.irq());
}

TEST_CASE("CLEAR_ALARM disarms a pending alarm", "[devices][rtc]")
{
    RtcBench b;
    write_reg(b.as, kBase + GoldfishRtc::kIrqEnabled, 4, 1);
    b.set_alarm(b.time() + 5 * kMs);
    write_reg(b.as, kBase + GoldfishRtc::kClearAlarm, 4, 1);
    CHECK(read_reg(b.as, kBase + GoldfishRtc::kAlarmStatus, 4) == 0);
    CHECK_FALSE(poll_until(b.ctx, [&] { return b.irq(); }, std::chrono::milliseconds(30)));
}

TEST_CASE("RTC reserved offsets read as 0 and ignore writes; non-word accesses are access faults",
          "[devices][rtc]")
{
    RtcBench b;
    CHECK(read_reg(b.as, kBase + 0x20, 4) == 0);
    CHECK(read_reg(b.as, kBase + GoldfishRtc::kClearInterrupt, 4) == 0);  // write-only
    write_reg(b.as, kBase + 0x24, 4, 1);
    CHECK(b.rtc->guest_errors() == 3);
    uint64_t v = 0;
    CHECK(b.as.read(kBase + GoldfishRtc::kTimeLow, 8, v) == MemTx::AccessError);
    CHECK(b.as.write(kBase + GoldfishRtc::kIrqEnabled, 1, 1) == MemTx::AccessError);
}

TEST_CASE("RTC reset disarms the alarm, drops the interrupt and returns to the host's clock", "[devices][rtc]")
{
    RtcBench b;
    write_reg(b.as, kBase + GoldfishRtc::kTimeHigh, 4, 0);  // guest clock near 1970
    write_reg(b.as, kBase + GoldfishRtc::kIrqEnabled, 4, 1);
    b.set_alarm(b.time() - 1);
    REQUIRE(b.irq());
    b.set_alarm(b.time() + 5 * kMs);
    b.rtc->reset();
    CHECK_FALSE(b.irq());
    CHECK(read_reg(b.as, kBase + GoldfishRtc::kAlarmStatus, 4) == 0);
    CHECK(read_reg(b.as, kBase + GoldfishRtc::kIrqEnabled, 4) == 0);
    CHECK(b.time() >= uint64_t(clock_ns(ClockType::Realtime)) - 1000 * kMs);
    CHECK_FALSE(poll_until(b.ctx, [&] { return b.plic.raises(virt::kRtcIrq) > 1; }, std::chrono::milliseconds(30)));
}
