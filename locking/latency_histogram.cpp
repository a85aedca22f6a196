#include "locking/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace locklab {

uint64_t latency_quantile(const LatencyHistogram& h, double q, uint64_t max_ns)
{
    uint64_t total = 0;
    for (auto&& bin : boost::histogram::indexed(h)) total += *bin;
    if (total == 0) return 0;
    const auto rank = std::max<uint64_t>(1, uint64_t(std::ceil(q * double(total))));
    uint64_t seen = 0;
    for (auto&& bin : boost::histogram::indexed(h)) {
        seen += *bin;
        if (seen >= rank) {
            // The largest whole number of ns the bucket can hold (below its upper bound).
            const double upper = bin.bin().upper();
            const uint64_t largest = upper >= 0x1p64 ? UINT64_MAX : uint64_t(std::ceil(upper)) - 1;
            return std::min(max_ns, largest);
        }
    }
    return max_ns;
}

}  // namespace locklab
