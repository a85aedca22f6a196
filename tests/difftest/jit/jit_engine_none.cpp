// Built when the JIT is not: there are no JIT engines.
#include "tests/difftest/jit_engine.h"

#include "tests/difftest/engine.h"

namespace locklab::rv::difftest {

std::unique_ptr<Engine> make_jit_engine(const std::string&) { return nullptr; }
std::vector<std::string> jit_engine_names() { return {}; }

}  // namespace locklab::rv::difftest
