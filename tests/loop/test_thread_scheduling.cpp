// Thread scheduling (loop/thread_scheduling.h): --vcpu-nice's mechanism lowers only the calling
// thread's priority; a thread asks for a slice and keeps its nice value;
// on a kernel with EEVDF custom slices (Linux 6.12+) the kernel reports what was asked, and event-
// loop threads ask for the configured slice when they attach to their context.
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>

#include "loop/aio_context.h"
#include "loop/kernel_slices.h"
#include "loop/thread_scheduling.h"

using namespace locklab;
using namespace std::chrono_literals;

namespace {

// Sets the configured slice for one test and puts the default back.
class SliceSetting {
public:
    explicit SliceSetting(std::chrono::nanoseconds s) { set_thread_slice(s); }
    ~SliceSetting() { set_thread_slice(kDefaultThreadSlice); }
};

}  // namespace

TEST_CASE("Asking for a slice keeps the thread's nice value", "[loop][sched]")
{
    int before = 0, after = 0;
    bool asked = false;
    std::thread([&] {
        setpriority(PRIO_PROCESS, id_t(gettid()), std::min(current_thread_nice() + 2, 19));
        before = current_thread_nice();
        asked = request_thread_slice(200us);
        after = current_thread_nice();
    }).join();
    if (!asked) {  // a sandbox that filters sched_setattr: nothing changed, nothing to check
        WARN("sched_setattr refused here: skipped");
        return;
    }
    CHECK(after == before);
}

TEST_CASE("The kernel reports the slice a thread asked for, and 0 gives its default back", "[loop][sched]")
{
    REQUIRE_KERNEL_SLICES();
    std::optional<std::chrono::nanoseconds> asked, reset;
    std::thread([&] {
        request_thread_slice(250us);
        asked = this_thread_slice();
        request_thread_slice(0ns);
        reset = this_thread_slice();
    }).join();
    CHECK(asked == std::chrono::nanoseconds(250us));
    CHECK(reset != std::chrono::nanoseconds(250us));
}

TEST_CASE("An event-loop thread asks for the configured slice when it attaches", "[loop][sched]")
{
    REQUIRE_KERNEL_SLICES();
    const SliceSetting setting(300us);
    std::optional<std::chrono::nanoseconds> slice;
    std::thread([&] {
        AioContext ctx("sliced");
        ctx.attach_current_thread();
        slice = this_thread_slice();
    }).join();
    CHECK(slice == std::chrono::nanoseconds(300us));
    CHECK(thread_slice() == std::chrono::nanoseconds(300us));
}

TEST_CASE("A negative slice setting means the kernel's default", "[loop][sched]")
{
    const SliceSetting setting(-5us);
    CHECK(thread_slice() == 0ns);
}

TEST_CASE("A thread lowers its own priority by the levels asked for, and only its own", "[loop][priority]")
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

TEST_CASE("Nice levels outside 0..19 are refused", "[loop][priority]")
{
    CHECK_THROWS_AS(lower_thread_priority(-1), std::invalid_argument);
    CHECK_THROWS_AS(lower_thread_priority(20), std::invalid_argument);
}
