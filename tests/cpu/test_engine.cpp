// The engine switch of the execution-core tests (tests/cpu/test_engine.h) really switches: the
// " [on jit]" copies of the tests must run translated code, not the interpreter again.
#include <catch2/catch.hpp>

#include "cpu/tcg/jit.h"
#include "tests/cpu/core_fixture.h"

using namespace locklab::rv;
using namespace locklab::rv::test;
using namespace locklab::rv::test::enc;

TEST_CASE_METHOD(CoreFixture, "the core tests run on the engine LOCKLAB_TEST_ACCEL names", "[cpu][engine]")
{
    REQUIRE(run_program({addi(5, 0, 7), addi(5, 5, 5)}) == RunExit::Wfi);
    REQUIRE(finished());
    CHECK(h.x[5] == 12);
    CHECK(tcg::jit_enabled(h) == test_engine_is_jit());
    if (test_engine_is_jit()) CHECK(tcg::jit_stats(h).blocks_translated > 0);
    else CHECK(tcg::jit_stats(h).blocks_translated == 0);
}
