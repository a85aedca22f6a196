// Lock statistics per lock class (lock_stat's columns): acquisitions, contended acquisitions,
// failed trylocks, wait- and hold-time histograms, and the contention points: which thread waited
// where (the acquisition's source location), how often and how long. Each thread counts into its
// own block; a report merges the blocks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "locking/latency_histogram.h"

namespace locklab {

// A duration distribution: its histogram plus the exact total and maximum.
struct LatencyStats {
    LatencyHistogram histogram = make_latency_histogram();
    uint64_t total_ns = 0;
    uint64_t max_ns = 0;

    void record(uint64_t ns)
    {
        histogram(ns);
        total_ns += ns;
        if (ns > max_ns) max_ns = ns;
    }
    void merge(const LatencyStats& o);
    uint64_t quantile(double q) const { return latency_quantile(histogram, q, max_ns); }
};

// Contended acquisitions of one class by one thread at one place (lock_stat's "contention
// points", split by thread as well). The thread is named as it was at its first contended
// acquisition of any class (current_thread_name(): "vcpu0", "io-io0", the program's name for the
// main thread, "thread <tid>" for one without a name).
struct ContentionPoint {
    std::string thread;
    std::string site;  // "file:line", the file relative to the source tree; "(other)": a thread's
                       // block had no slot left for another point
    uint64_t contended = 0;
    uint64_t wait_total_ns = 0;
    uint64_t wait_max_ns = 0;
};

struct LockClassStats {
    unsigned class_id = 0;
    std::string name;
    uint64_t acquisitions = 0;
    uint64_t contended = 0;   // acquisitions that had to wait for another holder
    uint64_t try_failed = 0;  // trylocks that found the lock taken
    LatencyStats wait;        // one sample per acquisition
    LatencyStats hold;        // one sample per release
    std::vector<ContentionPoint> points;  // busiest (by total wait) first

    double contended_percent() const { return acquisitions ? 100.0 * double(contended) / double(acquisitions) : 0; }
    void merge(const LockClassStats& o);
};

void lockstats_enable(bool on);
bool lockstats_enabled();
// Forgets everything counted so far (every thread's block).
void lockstats_reset();

// Every class with any activity, merged over all threads, in class-id order.
std::vector<LockClassStats> lockstats_snapshot();

// The `--lock-stats` table: class, acquisitions, contended %, failed trylocks, wait p50/p99/max,
// hold p50/p99/max, total wait; busiest (by total wait) first. Then the contention points, the
// busiest `points_per_class` of each class.
std::string lockstats_table(const std::vector<LockClassStats>& stats, size_t points_per_class = 6);
// JSON: {"unit": "ns", "classes": [{name, acquisitions, contended, try_failed, wait: {...},
// hold: {...}, contention_points: [{thread, site, contended, wait_total, wait_max}]}]}, each
// distribution with count, total, max, p50, p90, p99 and its non-empty buckets.
nlohmann::json lockstats_json(const std::vector<LockClassStats>& stats);
// Writes lockstats_json to `path`; throws std::runtime_error if the file cannot be written.
void lockstats_write_json(const std::vector<LockClassStats>& stats, const std::string& path);

}  // namespace locklab
