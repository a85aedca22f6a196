#include "tests/difftest/harness.h"

#include <algorithm>
#include <csignal>

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/difftest/handler.h"

namespace locklab::rv::difftest {
namespace {

// Enough for every generated program: loops run at most 5 times over at most ~50 instructions, and
// a trap costs about 45 handler instructions.
uint64_t instruction_cap(const Program& p) { return 5000 + 512 * p.body.size(); }

}  // namespace

ArchState run_program(const Program& p, Engine& e)
{
    Machine m(p);
    Hart& h = m.hart();
    e.attach(h);
    const uint64_t cap = instruction_cap(p);
    // The cap counts budget handed out, not instret: traps retire nothing but use up budget too.
    // A run cut short by an exit request counts what it retired (and one for the interruption).
    for (uint64_t given = 0; given < cap;) {
        const uint64_t budget = std::min(e.slice(), cap - given);
        const uint64_t before = h.instret;
        const RunExit r = e.run(h, budget);
        given += r == RunExit::ExitRequest ? std::min(budget, h.instret - before + 1) : budget;
        if (r == RunExit::Wfi && h.pc == done_pc()) return capture(m, true);
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

Verdict compare_isolated(const Program& p, Engine& a, Engine& b)
{
    // Exit codes of the child; any other status is a crash (a signal, or a sanitizer's exit code 1).
    enum : uint8_t { kSame = 0, kDiffer = 3, kInvalid = 4 };
    int stage[2];
    if (pipe(stage) != 0) return compare(p, a, b);
    const pid_t child = fork();
    if (child < 0) {
        close(stage[0]);
        close(stage[1]);
        return compare(p, a, b);
    }
    if (child == 0) {  // the child: report when A is done, exit with the outcome
        close(stage[0]);
        // A crash is the parent's to report: no inherited handlers (a test framework's, say).
        for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT}) std::signal(sig, SIG_DFL);
        const ArchState sa = run_program(p, a);
        if (!sa.finished) _exit(kInvalid);
        // A is done: tell the parent (and how many instructions it ran) before B starts.
        [[maybe_unused]] const ssize_t n = write(stage[1], &sa.instret, sizeof sa.instret);
        const ArchState sb = run_program(p, b);
        _exit(differences(sa, sb, a.name(), b.name(), 1).empty() ? kSame : kDiffer);
    }
    close(stage[1]);
    uint64_t instret_a = 0;
    const bool a_done = read(stage[0], &instret_a, sizeof instret_a) == sizeof instret_a;
    close(stage[0]);
    int status = 0;
    while (waitpid(child, &status, 0) < 0) {
    }
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code == kInvalid) return Verdict{};
    if (code == kSame) {
        Verdict same{.valid = true};
        same.a.instret = instret_a;
        return same;
    }
    if (code == kDiffer) return compare(p, a, b);  // the difference in detail (no engine crashed on it)
    Verdict v;
    v.valid = v.differ = true;
    const std::string how = WIFSIGNALED(status)
                                ? fmt::format("signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)))
                                : fmt::format("exit status {}", code);
    v.differences.push_back(
        fmt::format("host crash: {} while running engine {}", how, a_done ? b.name() : a.name()));
    return v;
}

}  // namespace locklab::rv::difftest
