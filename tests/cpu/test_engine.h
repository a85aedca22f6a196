// Which engine the execution-core unit tests run on: the interpreter, or the JIT when the
// environment says LOCKLAB_TEST_ACCEL=jit. tests/CMakeLists.txt registers every test of test_cpu
// that executes guest code a second time with that variable set (suffix " [on jit]"), so a unit
// test written for the interpreter also pins the JIT (issue 6: "every guest test and unit test that
// runs on the interpreter also runs on the JIT"). Fixtures call use_test_engine() on each hart they
// make, before it first runs.
#pragma once

#include <cstdlib>
#include <cstring>

#include "cpu/hart.h"
#include "cpu/tcg/jit.h"

namespace locklab::rv::test {

inline bool test_engine_is_jit()
{
    const char* accel = std::getenv("LOCKLAB_TEST_ACCEL");
    return accel != nullptr && std::strcmp(accel, "jit") == 0;
}

inline void use_test_engine(Hart& h)
{
    if (test_engine_is_jit()) tcg::enable_jit(h);
}

}  // namespace locklab::rv::test
