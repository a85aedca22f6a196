// `--trace FILE`: a Chrome/Perfetto trace-event JSON of lock waits, lock holds and MMIO dispatches,
// one track per thread ("ph":"X" complete events, ts/dur in microseconds, thread_name metadata).
// Events are buffered per thread and written at exit. Memory is bounded: at most `max_events`
// events are kept (threads draw chunks from that budget); later ones are counted as dropped, and
// the file says so in its "otherData".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "locking/instrumentation.h"

namespace locklab {

inline constexpr uint64_t kTraceDefaultMaxEvents = 1'000'000;  // ~64 MB of buffers at most

// Starts recording (from an empty trace) or stops.
void trace_enable(bool on, uint64_t max_events = kTraceDefaultMaxEvents);
bool trace_enabled();
// Drops every buffered event (the budget is refilled).
void trace_reset();

// The trace so far as a JSON object ({"traceEvents": [...], "displayTimeUnit": "ns",
// "otherData": {...}}), and written to a file (throws std::runtime_error if it cannot be).
nlohmann::json trace_json();
void trace_write(const std::string& path);

namespace detail {
uint64_t trace_mmio_begin();
void trace_mmio_end(uint64_t start_ns, std::string_view region, uint64_t addr, unsigned size, bool write);
}  // namespace detail

// Records one MMIO dispatch (the device callback) as a complete event, if tracing is on. Costs a
// relaxed load when it is off.
class TraceMmioScope {
public:
    TraceMmioScope(std::string_view region, uint64_t addr, unsigned size, bool write)
        : region_(region), addr_(addr), size_(size), write_(write),
          start_ns_(instrumentation_features() & kFeatureTrace ? detail::trace_mmio_begin() : 0)
    {
    }
    ~TraceMmioScope()
    {
        if (start_ns_) detail::trace_mmio_end(start_ns_, region_, addr_, size_, write_);
    }
    TraceMmioScope(const TraceMmioScope&) = delete;
    TraceMmioScope& operator=(const TraceMmioScope&) = delete;

private:
    std::string_view region_;
    uint64_t addr_;
    unsigned size_;
    bool write_;
    uint64_t start_ns_;  // 0: not tracing
};

}  // namespace locklab
