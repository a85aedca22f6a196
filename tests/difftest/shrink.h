// Delta debugging (Zeller's ddmin) of a failing program to a shortest reproducer: first whole
// generator units are dropped, then single instructions, then initial register values are zeroed,
// keeping every change after which the engines still differ.
#pragma once

#include <cstddef>
#include <functional>

#include "tests/difftest/program.h"

namespace locklab::rv::difftest {

struct ShrinkResult {
    Program program;
    size_t runs = 0;  // how many candidate programs were tried
};

// `fails(candidate)` says whether the difference is still there. `max_runs` bounds the effort.
ShrinkResult shrink(const Program& p, const std::function<bool(const Program&)>& fails, size_t max_runs = 20000);

}  // namespace locklab::rv::difftest
