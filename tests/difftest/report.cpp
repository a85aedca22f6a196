#include "tests/difftest/report.h"

#include <fmt/format.h>

namespace locklab::rv::difftest {
namespace {

std::string indented(const std::vector<std::string>& lines)
{
    std::string out;
    for (const std::string& l : lines) out += "  " + l + "\n";
    return out;
}

}  // namespace

std::string difference_report(const Program& original, const Verdict& found, const ShrinkResult& shrunk,
                              const Verdict& shrunk_verdict)
{
    const Program& p = shrunk.program;
    std::string out = fmt::format("DIFFERENCE: program seed {} ({} instructions; rerun: difftest --seed {} --programs 1)\n",
                                  original.seed, original.size(), original.seed);
    out += "first differences after the original program:\n" + indented(found.differences);
    out += fmt::format("shrunk to {} instruction(s) in {} runs; after the reproducer:\n", p.size(), shrunk.runs);
    out += indented(shrunk_verdict.differences);
    out += "initial state:\n" + describe_initial_state(p);
    out += "reproducer (the last line is the exit ecall):\n" + listing(p);
    out += "as assembly:\n" + assembly(p);
    return out;
}

}  // namespace locklab::rv::difftest
