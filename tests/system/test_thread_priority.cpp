// --vcpu-nice's mechanism: a thread lowers its own priority, not the process's.
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

#include "system/thread_priority.h"

using namespace locklab;

TEST_CASE("A thread lowers its own priority by the levels asked for, and only its own", "[system][priority]")
{
    const int process = getpriority(PRIO_PROCESS, id_t(gettid()));
    int in_thread = 0, expected = 0;
    std::thread([&] {
        const int before = getpriority(PRIO_PROCESS, id_t(gettid()));
        expected = before + 5 > 19 ? 19 : before + 5;
        in_thread = lower_thread_priority(5);
        CHECK(getpriority(PRIO_PROCESS, id_t(gettid())) == in_thread);
    }).join();
    CHECK(in_thread == expected);
    CHECK(getpriority(PRIO_PROCESS, id_t(gettid())) == process);  // this thread is untouched
    CHECK(lower_thread_priority(0) == process);                    // 0: nothing changes
}

TEST_CASE("Nice levels outside 0..19 are refused", "[system][priority]")
{
    CHECK_THROWS_AS(lower_thread_priority(-1), std::invalid_argument);
    CHECK_THROWS_AS(lower_thread_priority(20), std::invalid_argument);
}
