// How locklab's threads ask the host scheduler for CPU: every one of them (event loops, block
// workers, vCPUs) requests a short slice (`--thread-slice-us`, default 100 us); vCPU threads may
// also lower their own priority (`--vcpu-nice N`).
//
// Why: an emulator's I/O path is a chain of short bursts on different threads (a vCPU kicks and
// goes to WFI, an IOThread pops the request, a worker writes it, the event loop completes it, the
// vCPU wakes for the interrupt), each of which first needs a CPU. On a host with fewer cores than
// busy threads the CPU is held by a vCPU that never sleeps, and with the kernel's slice (0.75 ms
// and up) a waking thread often waits for that slice to end. Linux's EEVDF scheduler (6.12 and
// later) takes a requested slice per thread (sched_attr::sched_runtime, clamped to 0.1..100 ms):
// a shorter slice means an earlier deadline, so a waking thread preempts the running one at once.
// CPU shares do not change (nice is untouched); a busy vCPU that shares its core is switched more
// often. A thread with a core to itself is never preempted, whatever its slice. Older kernels
// accept the request and ignore it. QEMU does not do this; 0 leaves the kernel's default slice.
#pragma once

#include <chrono>
#include <optional>

namespace locklab {

constexpr std::chrono::microseconds kDefaultThreadSlice{100};

// The slice locklab's threads request from now on (0: the kernel's default). Set at start-up
// (atomic, relaxed); threads that asked earlier keep what they got.
void set_thread_slice(std::chrono::nanoseconds slice);
std::chrono::nanoseconds thread_slice();

// The calling thread requests `slice` (0: back to the kernel's default), keeping its nice value
// and policy (SCHED_OTHER threads only; others are left alone). False if the kernel refused (it
// said why in errno); best effort, callers go on either way. New threads inherit the slice of the
// thread that starts them; each of locklab's threads asks for itself all the same, so that its
// slice does not depend on who started it.
bool request_thread_slice(std::chrono::nanoseconds slice);
inline bool apply_thread_slice() { return request_thread_slice(thread_slice()); }

// The calling thread's slice as the kernel reports it (sched_getattr's sched_runtime), or nothing
// if the kernel does not say (before EEVDF custom slices it reports 0).
std::optional<std::chrono::nanoseconds> this_thread_slice();

// The calling thread's nice value (0 if the kernel will not say).
int current_thread_nice();

// `--vcpu-nice N`: makes the calling thread `levels` (0..19) nicer than it is (Linux: nice is per
// thread), so that on a host with fewer cores than busy threads the event-loop threads run when
// they have work (experiments/blk_bench/README.md, session 8); returns its nice value afterwards.
// Lowering a priority needs no privilege; the kernel caps it at 19. QEMU does not do this.
// Throws std::invalid_argument for levels outside 0..19, std::system_error if the kernel refuses.
int lower_thread_priority(int levels);

}  // namespace locklab
