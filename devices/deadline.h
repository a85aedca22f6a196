// Timer deadlines for device models: an absolute clock value `wait_ns` after `now_ns`, saturated so a
// far-away guest deadline (mtimecmp = ~0, an alarm in the year 2500) becomes "never" instead of
// wrapping into the past.
#pragma once

#include <cstdint>
#include <limits>

namespace locklab {

inline int64_t deadline_after(int64_t now_ns, uint64_t wait_ns)
{
    constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
    if (now_ns < 0 || wait_ns >= uint64_t(kNever - now_ns)) return kNever;
    return now_ns + int64_t(wait_ns);
}

}  // namespace locklab
