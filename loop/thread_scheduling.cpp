#include "loop/thread_scheduling.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <system_error>

namespace locklab {

namespace {

// Atomic (relaxed): set at start-up by the machine, read by threads as they start.
std::atomic<int64_t> g_slice_ns{std::chrono::nanoseconds(kDefaultThreadSlice).count()};

// The kernel's struct sched_attr (include/uapi/linux/sched/types.h), first version plus the
// utilisation clamps; <linux/sched/types.h> clashes with glibc's struct sched_param.
struct SchedAttr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;  // SCHED_OTHER on EEVDF kernels: the requested slice, in ns
    uint64_t sched_deadline;
    uint64_t sched_period;
    uint32_t sched_util_min;
    uint32_t sched_util_max;
};

// The calling thread's nice value, or nothing (errno set) if the kernel will not say.
std::optional<int> read_nice()
{
    errno = 0;
    const int n = getpriority(PRIO_PROCESS, id_t(gettid()));  // -1 is a valid nice value: errno tells
    if (n == -1 && errno != 0) return std::nullopt;
    return n;
}

bool get_attr(SchedAttr& a)
{
    a = {};
    return syscall(SYS_sched_getattr, 0, &a, unsigned(sizeof a), 0u) == 0;
}

}  // namespace

void set_thread_slice(std::chrono::nanoseconds slice)
{
    g_slice_ns.store(std::max<int64_t>(slice.count(), 0), std::memory_order_relaxed);
}

std::chrono::nanoseconds thread_slice() { return std::chrono::nanoseconds(g_slice_ns.load(std::memory_order_relaxed)); }

bool request_thread_slice(std::chrono::nanoseconds slice)
{
    SchedAttr a;
    if (!get_attr(a)) return false;
    if (a.sched_policy != SCHED_OTHER) return true;  // real-time or batch/idle: not ours to change
    a.size = sizeof a;
    a.sched_flags = 0;
    a.sched_nice = current_thread_nice();  // the same nice: only the slice changes
    a.sched_runtime = uint64_t(std::max<int64_t>(slice.count(), 0));
    a.sched_deadline = a.sched_period = 0;
    a.sched_util_min = a.sched_util_max = 0;  // ignored without SCHED_FLAG_UTIL_CLAMP_*
    return syscall(SYS_sched_setattr, 0, &a, 0u) == 0;
}

std::optional<std::chrono::nanoseconds> this_thread_slice()
{
    SchedAttr a;
    if (!get_attr(a) || a.sched_runtime == 0) return std::nullopt;
    return std::chrono::nanoseconds(int64_t(a.sched_runtime));
}

int current_thread_nice() { return read_nice().value_or(0); }

int lower_thread_priority(int levels)
{
    if (levels < 0 || levels > 19)
        throw std::invalid_argument("thread priority: " + std::to_string(levels) + " nice levels, expected 0..19");
    const std::optional<int> now = read_nice();
    if (!now) throw std::system_error(errno, std::generic_category(), "getpriority");
    if (levels == 0) return *now;
    if (setpriority(PRIO_PROCESS, id_t(gettid()), *now + levels) != 0)
        throw std::system_error(errno, std::generic_category(), "setpriority");
    return current_thread_nice();
}

}  // namespace locklab
