// The text printed for a difference: seed, first differing state, and the shrunk reproducer
// (disassembly, hex listing and an assembler snippet).
#pragma once

#include <string>

#include "tests/difftest/harness.h"
#include "tests/difftest/shrink.h"

namespace locklab::rv::difftest {

std::string difference_report(const Program& original, const Verdict& found, const ShrinkResult& shrunk,
                              const Verdict& shrunk_verdict);

}  // namespace locklab::rv::difftest
