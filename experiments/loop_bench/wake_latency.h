// Cross-thread wake-up latencies: one thread sleeps (in epoll), another wakes it and stamps the
// time; the sleeper stamps the time it runs. Between samples the waker pauses so that the sleeper
// is really asleep again: this measures the wake-up path, not a busy loop.
#pragma once

#include <chrono>

#include "latency_samples.h"

namespace locklab::bench {

struct WakeConfig {
    int samples = 20000;
    std::chrono::microseconds gap{50};  // pause between samples
};

LatencySamples raw_eventfd_epoll(const WakeConfig& cfg);  // the host floor: a bare two-thread program
LatencySamples aio_notify_wakeup(const WakeConfig& cfg);  // notify() -> blocked poll() returns
LatencySamples bh_schedule_to_run(const WakeConfig& cfg); // BottomHalf::schedule() -> callback runs

}  // namespace locklab::bench
