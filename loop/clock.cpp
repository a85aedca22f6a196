#include <ctime>

#include "loop/aio_context.h"

namespace locklab {

int64_t clock_ns(ClockType c)
{
    timespec ts;
    clock_gettime(c == ClockType::Realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace locklab
