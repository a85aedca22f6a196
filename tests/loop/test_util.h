// Helpers shared by the loop tests.
#pragma once

#include <chrono>
#include <cstdlib>
#include <thread>

namespace locklab::test {

// How long cross-thread stress tests run: a short default for CI, longer via
// LOCKLAB_STRESS_SECONDS (e.g. LOCKLAB_STRESS_SECONDS=30 ./test_loop "[stress]").
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

// Wait (sleeping briefly) until cond() holds; false if it did not within `limit`, so a broken
// implementation fails the test instead of hanging it.
template <class Cond>
bool eventually(Cond cond, std::chrono::milliseconds limit = std::chrono::seconds(10))
{
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!cond()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    return true;
}

}  // namespace locklab::test
