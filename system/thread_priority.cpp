#include "system/thread_priority.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

namespace locklab {

int lower_thread_priority(int levels)
{
    if (levels < 0 || levels > 19)
        throw std::invalid_argument("thread priority: " + std::to_string(levels) + " nice levels, expected 0..19");
    const id_t tid = id_t(gettid());
    errno = 0;
    const int now = getpriority(PRIO_PROCESS, tid);  // -1 is a valid nice value: errno tells
    if (now == -1 && errno != 0) throw std::system_error(errno, std::generic_category(), "getpriority");
    if (levels == 0) return now;
    if (setpriority(PRIO_PROCESS, tid, now + levels) != 0)
        throw std::system_error(errno, std::generic_category(), "setpriority");
    return getpriority(PRIO_PROCESS, tid);
}

}  // namespace locklab
