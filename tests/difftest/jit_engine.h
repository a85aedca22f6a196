// The JIT as a difftest engine (cpu/tcg/jit.h), in several configurations. jit_engine.cpp is built
// when the JIT's sources exist; jit_engine_none.cpp (no JIT in this build) otherwise.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace locklab::rv::difftest {

class Engine;

// "jit" (default options), "jit1" (one instruction per block), "jit-nochain", "jit-noopt";
// null for any other name or when the JIT is not built.
std::unique_ptr<Engine> make_jit_engine(const std::string& name);
std::vector<std::string> jit_engine_names();

}  // namespace locklab::rv::difftest
