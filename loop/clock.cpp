// Host clocks and the pluggable Virtual clock.
#include <atomic>
#include <ctime>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "loop/aio_context.h"

namespace locklab {

namespace {
int64_t host_ns(clockid_t id)
{
    timespec ts;
    clock_gettime(id, &ts);
    return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

using ClockSource = std::function<int64_t()>;

// The installed Virtual clock source, or null for host monotonic. atomic: read by any thread on
// every clock_ns(Virtual); a replaced source is kept alive (in g_retired) until exit.
std::atomic<const ClockSource*> g_virtual{nullptr};
std::mutex g_retired_mutex;
std::vector<std::unique_ptr<const ClockSource>>& retired()  // protected by g_retired_mutex
{
    static std::vector<std::unique_ptr<const ClockSource>> v;
    return v;
}
}  // namespace

int64_t clock_ns(ClockType c)
{
    if (c == ClockType::Realtime) return host_ns(CLOCK_REALTIME);
    const ClockSource* src = g_virtual.load(std::memory_order_acquire);
    return src ? (*src)() : host_ns(CLOCK_MONOTONIC);
}

void set_virtual_clock(std::function<int64_t()> source)
{
    std::lock_guard lk(g_retired_mutex);
    const ClockSource* next = nullptr;
    if (source) {
        retired().push_back(std::make_unique<const ClockSource>(std::move(source)));
        next = retired().back().get();
    }
    g_virtual.store(next, std::memory_order_release);
}

}  // namespace locklab
