#include "tests/difftest/shrink.h"

#include <algorithm>
#include <set>
#include <vector>

#include "tests/difftest/layout.h"

namespace locklab::rv::difftest {
namespace {

// ddmin over `items` (ids of removable pieces): try dropping chunks (the complement of each of n
// chunks), refining n while nothing can be dropped. `build(kept)` makes the candidate.
template <class Build>
std::vector<uint32_t> ddmin(std::vector<uint32_t> items, Build build, const std::function<bool(const Program&)>& fails,
                            size_t& runs, size_t max_runs)
{
    size_t n = 2;
    while (items.size() >= 1 && runs < max_runs) {
        const size_t chunk = (items.size() + n - 1) / n;
        bool reduced = false;
        for (size_t start = 0; start < items.size() && runs < max_runs; start += chunk) {
            std::vector<uint32_t> rest(items.begin(), items.begin() + long(start));
            rest.insert(rest.end(), items.begin() + long(std::min(items.size(), start + chunk)), items.end());
            ++runs;
            if (fails(build(rest))) {
                items = std::move(rest);
                n = std::max<size_t>(n - 1, 2);
                reduced = true;
                break;
            }
        }
        if (!reduced) {
            if (n >= items.size()) break;
            n = std::min(n * 2, items.size());
        }
    }
    return items;
}

}  // namespace

ShrinkResult shrink(const Program& original, const std::function<bool(const Program&)>& fails, size_t max_runs)
{
    ShrinkResult r;
    Program p = original;

    // 1. Whole units (the exit ecall is never a candidate).
    std::set<uint32_t> unit_set;
    for (size_t i = 0; i + 1 < p.body.size(); ++i) unit_set.insert(p.body[i].unit);
    const auto by_units = [&](const std::vector<uint32_t>& units) {
        std::vector<bool> keep(p.body.size());
        for (size_t i = 0; i < p.body.size(); ++i) keep[i] = std::binary_search(units.begin(), units.end(), p.body[i].unit);
        return p.subset(keep);
    };
    const std::vector<uint32_t> units =
        ddmin({unit_set.begin(), unit_set.end()}, by_units, fails, r.runs, max_runs);
    p = by_units(units);

    // 2. Single instructions.
    std::vector<uint32_t> insns;
    for (uint32_t i = 0; i + 1 < p.body.size(); ++i) {
        if (!p.body[i].pinned) insns.push_back(i);
    }
    const auto by_insns = [&](const std::vector<uint32_t>& kept) {
        std::vector<bool> keep(p.body.size());
        for (size_t i = 0; i < p.body.size(); ++i) keep[i] = p.body[i].pinned;
        for (uint32_t i : kept) keep[i] = true;
        return p.subset(keep);
    };
    p = by_insns(ddmin(insns, by_insns, fails, r.runs, max_runs));

    // 3. Initial values of the registers the program may write: zero where that keeps the failure.
    for (unsigned reg : kWritable) {
        if (p.init.x[reg] == 0 || r.runs >= max_runs) continue;
        Program q = p;
        q.init.x[reg] = 0;
        ++r.runs;
        if (fails(q)) p = std::move(q);
    }
    r.program = std::move(p);
    return r;
}

}  // namespace locklab::rv::difftest
