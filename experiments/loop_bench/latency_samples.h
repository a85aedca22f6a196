// Latency samples (ns) with exact quantiles: a bench run keeps a few tens of thousands, and the
// ratios it reports need better than histogram-bucket resolution.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace locklab::bench {

class LatencySamples {
public:
    void add(int64_t ns) { v_.push_back(ns); }
    size_t count() const { return v_.size(); }

    // q in [0, 1]; nearest-rank. 0 if there are no samples.
    double quantile_ns(double q) const
    {
        if (v_.empty()) return 0;
        std::vector<int64_t> s = v_;
        const size_t k = std::min(s.size() - 1, size_t(q * double(s.size())));
        std::nth_element(s.begin(), s.begin() + std::ptrdiff_t(k), s.end());
        return double(s[k]);
    }

private:
    std::vector<int64_t> v_;
};

}  // namespace locklab::bench
