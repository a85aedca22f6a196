// A histogram of durations in nanoseconds on a log scale: Boost.Histogram with an axis of four
// buckets per power of two (bucket bounds within 19% of each other), covering all of uint64_t, so
// no value is ever out of range.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include <boost/histogram.hpp>

namespace locklab {

class LogNsAxis {
public:
    static constexpr unsigned kSubBits = 2;                   // 2^kSubBits buckets per octave
    static constexpr int kBuckets = 1 + 64 * (1 << kSubBits);  // bucket 0 holds 0 ns

    boost::histogram::axis::index_type index(uint64_t ns) const
    {
        if (ns == 0) return 0;
        const int octave = std::bit_width(ns) - 1;  // 2^octave <= ns < 2^(octave+1)
        const uint64_t sub = octave >= int(kSubBits) ? (ns >> (octave - kSubBits)) & kSubMask
                                                     : (ns << (kSubBits - octave)) & kSubMask;
        return 1 + octave * (1 << kSubBits) + int(sub);
    }
    boost::histogram::axis::index_type size() const { return kBuckets; }
    // Lower bound (ns) of bucket i; value(i + 1) is its upper bound.
    double value(double i) const
    {
        if (i < 1) return 0;
        const int b = int(i) - 1;
        const int octave = b >> kSubBits;
        const int sub = b & int(kSubMask);
        return std::ldexp(1.0 + double(sub) / (1 << kSubBits), octave);
    }
    auto bin(boost::histogram::axis::index_type i) const
    {
        return boost::histogram::axis::interval_view<LogNsAxis>(*this, i);
    }
    static constexpr unsigned options() { return boost::histogram::axis::option::none_t::value; }
    bool operator==(const LogNsAxis&) const { return true; }
    bool operator!=(const LogNsAxis&) const { return false; }

private:
    static constexpr uint64_t kSubMask = (1u << kSubBits) - 1;
};

using LatencyHistogram =
    decltype(boost::histogram::make_histogram_with(std::vector<uint64_t>(), LogNsAxis{}));

inline LatencyHistogram make_latency_histogram()
{
    return boost::histogram::make_histogram_with(std::vector<uint64_t>(), LogNsAxis{});
}

// The q-quantile (0 < q <= 1) of the recorded durations, as the upper bound of the bucket it falls
// in, capped at `max_ns` (the exact maximum, which the caller tracks). 0 if the histogram is empty.
uint64_t latency_quantile(const LatencyHistogram& h, double q, uint64_t max_ns);

}  // namespace locklab
