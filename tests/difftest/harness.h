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
    bool differ = false;  // valid, and B's state differs from A's (or an engine crashed the host)
    std::vector<std::string> differences;
    ArchState a, b;
};

Verdict compare(const Program& p, Engine& a, Engine& b);

// compare() in a forked child, so that an engine that crashes the host process (a wild host access,
// an abort, a sanitizer report) is reported as a difference ("host crash: signal 11 (...) while
// running engine X", or "exit status 1" for ASan) instead of ending the tester. Otherwise the same
// verdict as compare().
Verdict compare_isolated(const Program& p, Engine& a, Engine& b);

}  // namespace locklab::rv::difftest
