#include "locking/lock_stats.h"

#include <algorithm>
#include <fstream>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "locking/instrumentation.h"
#include "locking/lock_class.h"
#include "locking/per_thread_blocks.h"

namespace locklab {
namespace {

// One thread's counts: entry i for the class with id i, allocated when the thread first uses it.
struct StatsBlock {
    std::vector<std::unique_ptr<LockClassStats>> classes;

    LockClassStats& of(const LockClass& c)
    {
        if (c.id() >= classes.size()) classes.resize(c.id() + 1);
        auto& s = classes[c.id()];
        if (!s) {
            s = std::make_unique<LockClassStats>();
            s->class_id = c.id();
        }
        return *s;
    }
};

// Never destroyed: threads may still take locks while the process exits.
PerThreadBlocks<StatsBlock>& blocks()
{
    static auto* b = new PerThreadBlocks<StatsBlock>;
    return *b;
}

std::string format_ns(uint64_t ns)
{
    if (ns < 10'000) return fmt::format("{}ns", ns);
    if (ns < 10'000'000) return fmt::format("{:.1f}us", double(ns) / 1e3);
    if (ns < 10'000'000'000) return fmt::format("{:.1f}ms", double(ns) / 1e6);
    return fmt::format("{:.2f}s", double(ns) / 1e9);
}

nlohmann::json latency_json(const LatencyStats& l)
{
    nlohmann::json buckets = nlohmann::json::array();
    uint64_t count = 0;
    for (auto&& bin : boost::histogram::indexed(l.histogram)) {
        if (*bin == 0) continue;
        count += *bin;
        buckets.push_back({{"lo", bin.bin().lower()}, {"hi", bin.bin().upper()}, {"count", *bin}});
    }
    return {{"count", count},     {"total", l.total_ns},        {"max", l.max_ns},
            {"p50", l.quantile(0.5)}, {"p90", l.quantile(0.9)}, {"p99", l.quantile(0.99)},
            {"buckets", std::move(buckets)}};
}

}  // namespace

namespace detail {

void stats_acquired(const LockClass& c, uint64_t wait_ns, bool contended)
{
    blocks().update([&](StatsBlock& b) {
        LockClassStats& s = b.of(c);
        ++s.acquisitions;
        s.contended += contended;
        s.wait.record(wait_ns);
    });
}

void stats_released(const LockClass& c, uint64_t hold_ns)
{
    blocks().update([&](StatsBlock& b) { b.of(c).hold.record(hold_ns); });
}

void stats_try_failed(const LockClass& c)
{
    blocks().update([&](StatsBlock& b) { ++b.of(c).try_failed; });
}

}  // namespace detail

void LatencyStats::merge(const LatencyStats& o)
{
    histogram += o.histogram;
    total_ns += o.total_ns;
    max_ns = std::max(max_ns, o.max_ns);
}

void LockClassStats::merge(const LockClassStats& o)
{
    acquisitions += o.acquisitions;
    contended += o.contended;
    try_failed += o.try_failed;
    wait.merge(o.wait);
    hold.merge(o.hold);
}

void lockstats_enable(bool on)
{
    if (on) lockstat_now_ns();  // calibrates the clock now rather than inside the first lock
    instrumentation_set(kFeatureStats, on);
}
bool lockstats_enabled() { return instrumentation_features() & kFeatureStats; }

void lockstats_reset()
{
    blocks().for_each([](StatsBlock& b) { b.classes.clear(); });
}

std::vector<LockClassStats> lockstats_snapshot()
{
    std::vector<LockClassStats> merged;
    std::vector<bool> used;
    blocks().for_each([&](StatsBlock& b) {
        // Classes created since the last block was read may appear: grow as they do.
        if (b.classes.size() > merged.size()) {
            merged.resize(b.classes.size());
            used.resize(b.classes.size());
        }
        for (const auto& s : b.classes) {
            if (!s) continue;
            merged[s->class_id].merge(*s);
            used[s->class_id] = true;
        }
    });
    std::vector<LockClassStats> out;
    for (unsigned id = 0; id < merged.size(); ++id) {
        if (!used[id]) continue;
        merged[id].class_id = id;
        merged[id].name = LockClass::by_id(id).name();
        out.push_back(std::move(merged[id]));
    }
    return out;
}

std::string lockstats_table(const std::vector<LockClassStats>& stats)
{
    std::vector<const LockClassStats*> rows;
    for (const auto& s : stats) rows.push_back(&s);
    std::stable_sort(rows.begin(), rows.end(),
                     [](auto* a, auto* b) { return a->wait.total_ns > b->wait.total_ns; });
    size_t name_width = 5;
    for (auto* s : rows) name_width = std::max(name_width, s->name.size());

    std::string out = fmt::format("{:<{}} {:>10} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>10}\n",
                                  "class", name_width, "acq", "cont%", "tryfail", "wait50", "wait99",
                                  "waitmax", "hold50", "hold99", "holdmax", "waittotal");
    for (auto* s : rows)
        out += fmt::format("{:<{}} {:>10} {:>6.2f} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>10}\n",
                           s->name, name_width, s->acquisitions, s->contended_percent(), s->try_failed,
                           format_ns(s->wait.quantile(0.5)), format_ns(s->wait.quantile(0.99)),
                           format_ns(s->wait.max_ns), format_ns(s->hold.quantile(0.5)),
                           format_ns(s->hold.quantile(0.99)), format_ns(s->hold.max_ns),
                           format_ns(s->wait.total_ns));
    return out;
}

nlohmann::json lockstats_json(const std::vector<LockClassStats>& stats)
{
    nlohmann::json classes = nlohmann::json::array();
    for (const auto& s : stats)
        classes.push_back({{"name", s.name},
                           {"acquisitions", s.acquisitions},
                           {"contended", s.contended},
                           {"try_failed", s.try_failed},
                           {"wait", latency_json(s.wait)},
                           {"hold", latency_json(s.hold)}});
    return {{"unit", "ns"}, {"classes", std::move(classes)}};
}

void lockstats_write_json(const std::vector<LockClassStats>& stats, const std::string& path)
{
    std::ofstream f(path);
    if (!f) throw std::runtime_error("cannot write lock statistics to " + path);
    f << lockstats_json(stats).dump(2) << '\n';
    if (!f.flush()) throw std::runtime_error("error writing lock statistics to " + path);
}

}  // namespace locklab
