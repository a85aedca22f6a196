#include "locking/thread_name.h"

#include <pthread.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string_view>

namespace locklab {

int current_thread_id()
{
    thread_local const int tid = gettid();
    return tid;
}

std::string current_thread_name()
{
    std::array<char, 16> name{};  // the kernel's limit, with the terminating 0
    const int tid = current_thread_id();
    // A thread that set no name inherits the process's, which says nothing about the thread.
    if (pthread_getname_np(pthread_self(), name.data(), name.size()) != 0 || name[0] == 0 ||
        (tid != getpid() && std::string_view(program_invocation_short_name).substr(0, name.size() - 1) == name.data()))
        return "thread " + std::to_string(tid);
    return name.data();
}

}  // namespace locklab
