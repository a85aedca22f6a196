// Lowering one thread's scheduling priority (Linux: nice is per thread). `--vcpu-nice N` runs each
// vCPU thread N nice levels below the process, so that on a host with fewer cores than busy
// threads the event-loop threads (main loop, IOThreads, block workers) run when they have work
// instead of waiting for the scheduler's share (experiments/blk_bench/README.md, session 8).
// QEMU does not do this; the default, 0, leaves every thread as the process started it.
#pragma once

namespace locklab {

// Makes the calling thread `levels` (0..19) nicer than it is; returns its nice value afterwards.
// Lowering a priority needs no privilege; the value is capped at 19 by the kernel.
// Throws std::invalid_argument for levels outside 0..19, std::system_error if the kernel refuses.
int lower_thread_priority(int levels);

}  // namespace locklab
