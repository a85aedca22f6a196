// Scheduler slices (loop/thread_scheduling.h): a thread asks for a slice and keeps its nice value;
// on a kernel with EEVDF custom slices (Linux 6.12+) the kernel reports what was asked, and event-
// loop threads ask for the configured slice when they attach to their context.
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>

#include "loop/aio_context.h"
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

// Whether this kernel takes per-thread slices: ask for an unusual one in a scratch thread.
bool kernel_takes_slices()
{
    bool yes = false;
    std::thread([&] { yes = request_thread_slice(345us) && this_thread_slice() == std::chrono::nanoseconds(345us); })
        .join();
    return yes;
}

// Skips the rest of a test case on kernels without custom slices (Catch2 v2 has no SKIP).
#define REQUIRE_KERNEL_SLICES()                                                            \
    do {                                                                                   \
        if (!kernel_takes_slices()) {                                                      \
            WARN("this kernel has no per-thread scheduler slices (Linux < 6.12): skipped"); \
            return;                                                                        \
        }                                                                                  \
    } while (0)

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
