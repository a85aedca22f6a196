// How long cross-thread stress tests run: a short default for CI, longer via
// LOCKLAB_STRESS_SECONDS (e.g. LOCKLAB_STRESS_SECONDS=30 ./test_loop "[stress]").
#pragma once

#include <chrono>
#include <cstdlib>

namespace locklab::test {

inline std::chrono::milliseconds stress_duration(double default_seconds = 0.5)
{
    double s = default_seconds;
    if (const char* env = std::getenv("LOCKLAB_STRESS_SECONDS")) {
        char* end = nullptr;
        const double v = std::strtod(env, &end);
        if (end != env && v > 0) s = v;
    }
    return std::chrono::milliseconds(static_cast<long long>(s * 1000));
}

}  // namespace locklab::test
