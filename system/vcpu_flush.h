// Cross-vCPU flush for memory-map changes that remove something (hot-unplug): every hart flushes
// its TLB and decoded code before it next touches memory, and the caller learns when all have.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "cpu/hart.h"

namespace locklab {

// Queues the flush on every hart (Hart::run_on_cpu, which kicks it out of run() and so out of its
// RCU read section) and returns at once; `done` runs once, on the thread of the last hart to flush.
// With no harts, `done` runs at once.
void flush_all_harts(const std::vector<std::unique_ptr<rv::Hart>>& harts, std::function<void()> done);

// While it exists, grace periods kick every hart out of run(), and so out of its RCU read section
// (a reader kick, locking/rcu.h): an rcu_synchronize() then waits about one block of guest code per
// hart instead of one run() slice. The harts must outlive it.
class HartReaderKick {
public:
    explicit HartReaderKick(const std::vector<std::unique_ptr<rv::Hart>>& harts);
    ~HartReaderKick();
    HartReaderKick(const HartReaderKick&) = delete;
    HartReaderKick& operator=(const HartReaderKick&) = delete;

private:
    int id_;  // immutable: the registration
};

}  // namespace locklab
