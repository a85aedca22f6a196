// For tests of scheduler slices (loop/thread_scheduling.h): whether this kernel takes per-thread
// slices (EEVDF custom slices, Linux 6.12+), and a guard that skips the rest of a test without.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "loop/thread_scheduling.h"

namespace locklab::test {

// Asks for an unusual slice in a scratch thread and reads it back.
inline bool kernel_takes_slices()
{
    using namespace std::chrono_literals;
    bool yes = false;
    std::thread([&] { yes = request_thread_slice(345us) && this_thread_slice() == std::chrono::nanoseconds(345us); })
        .join();
    return yes;
}

}  // namespace locklab::test

// Skips the rest of a test case on kernels without custom slices (Catch2 v2 has no SKIP).
#define REQUIRE_KERNEL_SLICES()                                                            \
    do {                                                                                   \
        if (!locklab::test::kernel_takes_slices()) {                                       \
            WARN("this kernel has no per-thread scheduler slices (Linux < 6.12): skipped"); \
            return;                                                                        \
        }                                                                                  \
    } while (0)
