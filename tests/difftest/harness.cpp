#include "tests/difftest/harness.h"

#include <algorithm>

#include "tests/difftest/handler.h"

namespace locklab::rv::difftest {
namespace {

// Enough for every generated program: loops run at most 5 times over at most ~50 instructions.
uint64_t instruction_cap(const Program& p) { return 2000 + 64 * p.body.size(); }

}  // namespace

ArchState run_program(const Program& p, Engine& e)
{
    Machine m(p);
    Hart& h = m.hart();
    e.attach(h);
    const uint64_t cap = instruction_cap(p);
    // The cap counts budget handed out, not instret: traps retire nothing but use up budget too.
    for (uint64_t given = 0; given < cap;) {
        const uint64_t budget = std::min(e.slice(), cap - given);
        given += budget;
        if (e.run(h, budget) == RunExit::Wfi && h.pc == done_pc()) return capture(m, true);
    }
    return capture(m, false);
}

Verdict compare(const Program& p, Engine& a, Engine& b)
{
    Verdict v;
    v.a = run_program(p, a);
    v.valid = v.a.finished;
    if (!v.valid) return v;
    v.b = run_program(p, b);
    v.differences = differences(v.a, v.b, a.name(), b.name());
    v.differ = !v.differences.empty();
    return v;
}

}  // namespace locklab::rv::difftest
