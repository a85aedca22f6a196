// Counters: cycle/instret follow Hart::instret, writes to mcycle/minstret are honoured,
// mcountinhibit freezes them, time reads the board's mtime, and U/S access is gated by
// mcounteren/scounteren.
#include <catch2/catch.hpp>

#include "tests/cpu/priv_fixture.h"

using namespace locklab::rv;
using namespace locklab::rv::test;

TEST_CASE_METHOD(PrivFixture, "cycle and instret count the instructions retired before the reading one",
                 "[cpu][csr][counters]")
{
    h.instret += 1234;
    CHECK(csrr(csr::instret) == 1234);
    CHECK(csrr(csr::minstret) == 1234);
    CHECK(csrr(csr::cycle) == 1234);
    CHECK(csrr(csr::mcycle) == 1234);
}

TEST_CASE_METHOD(PrivFixture, "a write to minstret is the value the next instruction reads", "[cpu][csr][counters]")
{
    h.instret = 100;
    REQUIRE(csrw(csr::minstret, 5000));
    h.instret = 101;  // the writing instruction retired
    CHECK(csrr(csr::minstret) == 5000);
    CHECK(csrr(csr::instret) == 5000);
    h.instret = 111;
    CHECK(csrr(csr::minstret) == 5010);
    CHECK(csrr(csr::mcycle) == 111);  // mcycle has its own offset
}

TEST_CASE_METHOD(PrivFixture, "a write to mcycle is honoured independently of minstret", "[cpu][csr][counters]")
{
    h.instret = 10;
    REQUIRE(csrw(csr::mcycle, ~uint64_t(0)));
    h.instret = 12;
    CHECK(csrr(csr::cycle) == 0);  // wrapped after one more instruction
    CHECK(csrr(csr::instret) == 12);
}

TEST_CASE_METHOD(PrivFixture, "mcountinhibit freezes a counter and resumes it from the frozen value",
                 "[cpu][csr][counters]")
{
    h.instret = 50;
    REQUIRE(csrw(csr::mcountinhibit, ~uint64_t(0)));
    CHECK(csrr(csr::mcountinhibit) == (COUNTER_CY | COUNTER_IR));  // TM and hpm bits read 0
    h.instret = 80;
    CHECK(csrr(csr::minstret) == 50);
    CHECK(csrr(csr::mcycle) == 50);
    REQUIRE(csrw(csr::minstret, 7));  // a write while inhibited sticks
    h.instret = 90;
    CHECK(csrr(csr::minstret) == 7);
    REQUIRE(csrw(csr::mcountinhibit, COUNTER_CY));  // resume instret only
    h.instret = 91;
    CHECK(csrr(csr::minstret) == 7);
    h.instret = 95;
    CHECK(csrr(csr::minstret) == 11);
    CHECK(csrr(csr::mcycle) == 50);
}

TEST_CASE_METHOD(PrivFixture, "user counters are read-only", "[cpu][csr][counters]")
{
    for (uint16_t n : {uint16_t(csr::cycle), uint16_t(csr::instret), uint16_t(csr::time), csr::hpmcounter3}) {
        clear_trap();
        CHECK_FALSE(csrw(n, 1));
        CHECK(raised(Exception::IllegalInsn));
    }
}

TEST_CASE_METHOD(PrivFixture, "time reads the board's mtime and is illegal when no timer is wired",
                 "[cpu][csr][counters]")
{
    uint64_t v = 0;
    h.time_source = nullptr;
    CHECK_FALSE(csrr(csr::time, v));
    CHECK(raised(Exception::IllegalInsn));
    h.time_source = [] { return uint64_t(0x1234'5678'9ABC); };
    CHECK(csrr(csr::time) == 0x1234'5678'9ABC);
}

TEST_CASE_METHOD(PrivFixture, "hardware performance counters read zero and ignore writes", "[cpu][csr][counters]")
{
    for (uint16_t n : {csr::mhpmcounter3, csr::mhpmcounter31, csr::mhpmevent3, csr::mhpmevent31}) {
        CHECK(csrw(n, 99));
        CHECK(csrr(n) == 0);
    }
    CHECK(csrr(csr::hpmcounter3) == 0);
    CHECK(csrr(csr::hpmcounter31) == 0);
}

TEST_CASE_METHOD(PrivFixture, "S-mode reads a counter only when mcounteren allows it", "[cpu][csr][counters]")
{
    h.time_source = [] { return uint64_t(42); };
    h.instret = 9;
    REQUIRE(csrw(csr::mcounteren, COUNTER_TM));
    set_priv(h, Priv::S);
    uint64_t v = 0;
    CHECK(csrr(csr::time, v));
    CHECK(v == 42);
    CHECK_FALSE(csrr(csr::cycle, v));
    CHECK(raised(Exception::IllegalInsn));
    CHECK_FALSE(csrr(csr::instret, v));
    CHECK_FALSE(csrr(csr::hpmcounter3, v));
    set_priv(h, Priv::M);
    REQUIRE(csrw(csr::mcounteren, COUNTER_IR | bit(3)));
    set_priv(h, Priv::S);
    CHECK(csrr(csr::instret, v));
    CHECK(v == 9);
    CHECK(csrr(csr::hpmcounter3, v));
    CHECK_FALSE(csrr(csr::time, v));
}

TEST_CASE_METHOD(PrivFixture, "U-mode reads a counter only when both mcounteren and scounteren allow it",
                 "[cpu][csr][counters]")
{
    uint64_t v = 0;
    set_priv(h, Priv::U);
    CHECK_FALSE(csrr(csr::cycle, v));
    set_priv(h, Priv::M);
    REQUIRE(csrw(csr::scounteren, COUNTER_CY));
    set_priv(h, Priv::U);
    CHECK_FALSE(csrr(csr::cycle, v));  // mcounteren still 0
    set_priv(h, Priv::M);
    REQUIRE(csrw(csr::scounteren, 0));
    REQUIRE(csrw(csr::mcounteren, COUNTER_CY));
    set_priv(h, Priv::U);
    CHECK_FALSE(csrr(csr::cycle, v));  // scounteren now 0
    set_priv(h, Priv::M);
    REQUIRE(csrw(csr::scounteren, COUNTER_CY));
    set_priv(h, Priv::U);
    CHECK(csrr(csr::cycle, v));
}

TEST_CASE_METHOD(PrivFixture, "mcounteren and scounteren are 32-bit registers", "[cpu][csr][counters]")
{
    REQUIRE(csrw(csr::mcounteren, ~uint64_t(0)));
    REQUIRE(csrw(csr::scounteren, ~uint64_t(0)));
    CHECK(csrr(csr::mcounteren) == 0xFFFF'FFFF);
    CHECK(csrr(csr::scounteren) == 0xFFFF'FFFF);
}

TEST_CASE_METHOD(PrivFixture, "hart reset zeroes the counters and the software interrupt bits", "[cpu][csr][counters]")
{
    h.instret = 500;
    REQUIRE(csrw(csr::minstret, 77));
    REQUIRE(csrw(csr::mip, MIP_SSIP | MIP_STIP));
    h.set_irq(IRQ_MTI, true);
    h.reset(kRamBase, 0);
    CHECK(csrr(csr::minstret) == 0);
    CHECK(csrr(csr::mcycle) == 0);
    CHECK(csrr(csr::mip) == MIP_MTIP);
}
