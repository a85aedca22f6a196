// How instrumentation reports name the calling thread.
#pragma once

#include <string>

namespace locklab {

// The kernel's id of the calling thread (gettid), cached per thread.
int current_thread_id();
// The calling thread's name (pthread_setname_np, e.g. "vcpu0", "io-main"), or "thread <tid>" if it
// has none of its own.
std::string current_thread_name();

}  // namespace locklab
