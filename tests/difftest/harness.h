// Running one program on two engines and comparing what they leave behind.
#pragma once

#include <string>
#include <vector>

#include "tests/difftest/engine.h"
#include "tests/difftest/machine.h"
#include "tests/difftest/program.h"

namespace locklab::rv::difftest {

// Run `p` on a fresh machine under `e` until it finishes (the handler's `done` loop) or has been
// given its instruction cap, and capture the state.
ArchState run_program(const Program& p, Engine& e);

struct Verdict {
    bool valid = false;   // the reference (engine A) finished: the program is a usable test
    bool differ = false;  // valid, and B's state differs from A's
    std::vector<std::string> differences;
    ArchState a, b;
};

Verdict compare(const Program& p, Engine& a, Engine& b);

}  // namespace locklab::rv::difftest
