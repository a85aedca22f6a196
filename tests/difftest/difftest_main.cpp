// difftest: random programs on two engines (the interpreter and the JIT, or another variant), full
// architectural state and memory compared; a difference is shrunk to a shortest reproducer.
// Usage: tests/difftest/README.md.
#include <chrono>
#include <cstdio>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "tests/difftest/generator.h"
#include "tests/difftest/jit_engine.h"
#include "tests/difftest/harness.h"
#include "tests/difftest/report.h"

using namespace locklab::rv::difftest;

int main(int argc, char** argv)
{
    uint64_t seed = 1;
    uint64_t programs = 0;
    double seconds = 0;
    GeneratorOptions gen;
    std::string name_a = "interp";
    std::string name_b = jit_engine_names().empty() ? "step" : "jit";
    unsigned max_failures = 1;
    bool no_shrink = false;
    bool no_fork = false;

    CLI::App app{"difftest: differential tester of locklab's execution engines"};
    app.add_option("--seed", seed, "Seed of the first program (program k uses seed + k)");
    app.add_option("--programs", programs, "Number of programs (0: until --time runs out)");
    app.add_option("--time", seconds, "Stop after this many seconds (0: no limit)");
    app.add_option("--length", gen.length, "Instructions per program")->check(CLI::Range(1, 20000));
    app.add_option("--engine-a", name_a, "Reference engine")->check(CLI::IsMember(engine_names()));
    app.add_option("--engine-b", name_b, "Engine under test")->check(CLI::IsMember(engine_names()));
    app.add_option("--max-failures", max_failures, "Stop after this many differences");
    app.add_flag("--no-fork", no_fork, "Run the engines in this process (for a debugger; a host crash ends the run)");
    app.add_flag("--no-shrink", no_shrink, "Report differences without shrinking them");
    CLI11_PARSE(app, argc, argv);
    if (programs == 0 && seconds <= 0) programs = 100;

    const auto a = make_engine(name_a);
    const auto b = make_engine(name_b);
    fmt::print("difftest: {} vs {}, seed {}, length {}, {}\n", a->name(), b->name(), seed, gen.length,
               programs ? fmt::format("{} programs", programs) : fmt::format("{} s", seconds));
    std::fflush(stdout);

    const auto start = std::chrono::steady_clock::now();
    const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
    uint64_t run = 0, valid = 0, failures = 0, insns = 0;
    for (; (programs == 0 || run < programs) && (seconds <= 0 || elapsed() < seconds); ++run) {
        const Program p = generate(seed + run, gen);
        const auto check = [&](const Program& q) { return no_fork ? compare(q, *a, *b) : compare_isolated(q, *a, *b); };
        const Verdict v = check(p);
        if (!v.valid) continue;
        ++valid;
        insns += v.a.instret;
        if (!v.differ) continue;
        ++failures;
        if (no_shrink) {
            fmt::print("DIFFERENCE: program seed {}\n", p.seed);
            for (const std::string& d : v.differences) fmt::print("  {}\n", d);
        } else {
            const auto still_differs = [&](const Program& q) { return check(q).differ; };
            const ShrinkResult s = shrink(p, still_differs);
            fmt::print("{}", difference_report(p, v, s, check(s.program)));
        }
        std::fflush(stdout);
        if (failures >= max_failures) {
            ++run;
            break;
        }
    }
    fmt::print("difftest: {} programs ({} finished on {}, {} instructions), {} difference(s), {:.1f} s\n", run,
               valid, a->name(), insns, failures, elapsed());
    if (valid * 10 < run * 9) fmt::print("difftest: warning: many programs did not finish on the reference\n");
    return failures ? 1 : 0;
}
