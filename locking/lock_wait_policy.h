// How a thread waits for a contended lock: event-loop threads spin a bounded while before they
// sleep (`--event-loop-spin-us`); every other thread sleeps at once, as the lock implementation does.
//
// Why: under the BQL a vCPU's MMIO access holds the lock for tens of nanoseconds, and vCPUs that
// hammer a device take it millions of times a second. A main loop that sleeps on the futex when it
// finds the BQL taken must then be woken and scheduled, and on a host with fewer cores than busy
// threads it often finds the lock taken again when it runs, and sleeps again: each attempt costs a
// scheduling round trip (hundreds of microseconds, measured with --lock-stats contention points).
// The event-loop thread is on its CPU when it asks for the lock, so spinning on try_lock for a
// while gets it at one of the many moments it is free, and one such acquisition serves a whole
// batch of completions. Past the bound (a holder preempted while holding) it sleeps as before.
// QEMU's main loop sleeps at once (bound 0 gives that).
//
// Only threads that mark themselves (AioContext::attach_current_thread marks the main loop's and
// each IOThread's) spin: vCPU threads, which may outnumber the host's cores, would burn the CPU the
// holder needs (glibc's adaptive mutex for every thread measured no gain: issue 5's notes).
#pragma once

#include <chrono>

#include "locking/lock_impl.h"

namespace locklab {

constexpr std::chrono::microseconds kDefaultEventLoopSpin{50};

// The spin bound of marked threads (0: they sleep at once). Set at start-up; read with relaxed
// atomics, so a change reaches the next contended acquisition.
void set_event_loop_lock_spin(std::chrono::nanoseconds bound);
std::chrono::nanoseconds event_loop_lock_spin();

// Marks (or unmarks) the calling thread as an event-loop thread: its contended lock acquisitions
// spin up to event_loop_lock_spin() before sleeping.
void mark_this_thread_event_loop(bool event_loop = true);
bool this_thread_is_event_loop();

// If the calling thread is an event-loop thread and the bound is not 0: tries `lock` until it
// gets it (true) or the bound has passed (false), pausing the CPU between tries with a growing
// backoff. Otherwise false at once. The caller then takes the lock the sleeping way.
bool spin_for_lock(RawLock& lock);

}  // namespace locklab
