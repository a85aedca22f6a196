#include "locking/lock_stats.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <source_location>
#include <string_view>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "locking/instrumentation.h"
#include "locking/lock_class.h"
#include "locking/per_thread_blocks.h"
#include "locking/thread_name.h"

namespace locklab {
namespace {

// A count only one thread adds to, and anyone reads: an update is a relaxed load and store (plain
// moves on x86-64, no locked instruction), a reader never sees a torn value.
class OwnCounter {
public:
    void add(uint64_t n) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    void raise_to(uint64_t n)
    {
        if (n > v_.load(std::memory_order_relaxed)) v_.store(n, std::memory_order_relaxed);
    }
    uint64_t get() const { return v_.load(std::memory_order_relaxed); }
    void clear() { v_.store(0, std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> v_{0};
};

// One thread's distribution: the histogram's buckets as counters of their own.
struct ThreadLatency {
    std::array<OwnCounter, LogNsAxis::kBuckets> buckets;
    OwnCounter total, max;

    void record(uint64_t ns)
    {
        buckets[size_t(LogNsAxis{}.index(ns))].add(1);
        total.add(ns);
        max.raise_to(ns);
    }
    uint64_t count() const
    {
        uint64_t n = 0;
        for (const auto& b : buckets) n += b.get();
        return n;
    }
    void add_to(LatencyStats& out) const
    {
        for (size_t i = 0; i < buckets.size(); ++i)
            if (const uint64_t n = buckets[i].get()) out.histogram.at(boost::histogram::axis::index_type(i)) += n;
        out.total_ns += total.get();
        out.max_ns = std::max(out.max_ns, max.get());
    }
    void clear()
    {
        for (auto& b : buckets) b.clear();
        total.clear();
        max.clear();
    }
};

// The calling thread's name, interned: one string per distinct name for the life of the
// process, so a contention point can keep a pointer to it after its thread exited. Looked up once
// per thread (at its first contended acquisition).
const std::string* interned_thread_name()
{
    thread_local const std::string* name = nullptr;
    if (name) [[likely]] return name;
    static std::mutex m;
    static auto* names = new std::set<std::string>;  // protected by m; never freed
    std::lock_guard lk(m);
    name = &*names->insert(current_thread_name()).first;
    return name;
}

// "file:line" with the file relative to the source tree (the prefix this file's own path has
// before "locking/lock_stats.cpp"; other paths as they are).
std::string site_name(const char* file, uint32_t line)
{
    static const std::string root = [] {
        const std::string_view self = std::source_location::current().file_name();
        const std::string_view tail = "locking/lock_stats.cpp";
        return self.ends_with(tail) ? std::string(self.substr(0, self.size() - tail.size())) : std::string();
    }();
    std::string_view f = file;
    if (!root.empty() && f.starts_with(root)) f.remove_prefix(root.size());
    return fmt::format("{}:{}", f, line);
}

// One contention point in one thread's block. Its key (site and thread name) is written once, by
// the block's thread, file last with release: a reporter that sees the file sees the rest.
struct ThreadPoint {
    std::atomic<const char*> file{nullptr};  // the site's file_name(); null: the slot is free
    std::atomic<uint32_t> line{0};
    std::atomic<const std::string*> thread{nullptr};  // interned_thread_name()
    OwnCounter contended, total, max;

    void record(uint64_t wait_ns)
    {
        contended.add(1);
        total.add(wait_ns);
        max.raise_to(wait_ns);
    }
    void clear()
    {
        contended.clear();
        total.clear();
        max.clear();
    }
};

// Distinct (site, thread) points a block keeps per class; further ones count as "(other)". A
// block outlives its thread and keeps its keys, so this also bounds what threads that come and go
// can add.
constexpr size_t kPointSlots = 16;

// One thread's counts of one class.
struct ThreadClassStats {
    OwnCounter acquisitions, contended, try_failed;
    ThreadLatency wait, hold;
    std::array<ThreadPoint, kPointSlots> points;
    ThreadPoint other_points;

    // The block's thread only.
    void record_point(const std::source_location& site, uint64_t wait_ns)
    {
        const std::string* thread = interned_thread_name();
        for (ThreadPoint& p : points) {
            const char* file = p.file.load(std::memory_order_relaxed);  // only this thread writes it
            if (!file) {
                p.line.store(site.line(), std::memory_order_relaxed);
                p.thread.store(thread, std::memory_order_relaxed);
                p.file.store(site.file_name(), std::memory_order_release);
                return p.record(wait_ns);
            }
            if (file == site.file_name() && p.line.load(std::memory_order_relaxed) == site.line() &&
                p.thread.load(std::memory_order_relaxed) == thread)
                return p.record(wait_ns);
        }
        other_points.record(wait_ns);
    }

    bool active() const { return acquisitions.get() || try_failed.get() || hold.count(); }
    void add_to(LockClassStats& out) const
    {
        out.acquisitions += acquisitions.get();
        out.contended += contended.get();
        out.try_failed += try_failed.get();
        wait.add_to(out.wait);
        hold.add_to(out.hold);
        auto add_point = [&out](const ThreadPoint& p, std::string thread, std::string site) {
            if (const uint64_t n = p.contended.get())
                out.points.push_back({std::move(thread), std::move(site), n, p.total.get(), p.max.get()});
        };
        for (const ThreadPoint& p : points)
            if (const char* file = p.file.load(std::memory_order_acquire))
                add_point(p, *p.thread.load(std::memory_order_relaxed),
                          site_name(file, p.line.load(std::memory_order_relaxed)));
        add_point(other_points, "(any)", "(other)");
    }
    void clear()
    {
        acquisitions.clear();
        contended.clear();
        try_failed.clear();
        wait.clear();
        hold.clear();
        for (ThreadPoint& p : points) p.clear();  // the keys stay: only their thread writes them
        other_points.clear();
    }
};

// One thread's counts, entry i for the class with id i. Used through PerThreadBlocks::mine(): only
// the block's thread writes it, without a lock (reporters read the atomics), so an acquisition
// costs no locked instruction. A report or reset taken while threads take locks may see one of
// their updates half applied (counted, not yet in the histogram); a reset then may miss it.
struct StatsBlock {
    // Allocated by the block's thread on its first use of the class, published with release; never
    // freed (blocks live as long as the process).
    std::array<std::atomic<ThreadClassStats*>, LockClass::kMax> classes{};

    ThreadClassStats& of(const LockClass& c)
    {
        ThreadClassStats* s = classes[c.id()].load(std::memory_order_relaxed);
        if (!s) [[unlikely]] {
            s = new ThreadClassStats;
            classes[c.id()].store(s, std::memory_order_release);
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

// This thread's counts of `c`, or null while the thread is being torn down.
ThreadClassStats* mine(const LockClass& c)
{
    StatsBlock* b = blocks().mine();
    return b ? &b->of(c) : nullptr;
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

nlohmann::json points_json(const std::vector<ContentionPoint>& points)
{
    nlohmann::json out = nlohmann::json::array();
    for (const ContentionPoint& p : points)
        out.push_back({{"thread", p.thread},
                       {"site", p.site},
                       {"contended", p.contended},
                       {"wait_total", p.wait_total_ns},
                       {"wait_max", p.wait_max_ns}});
    return out;
}

}  // namespace

namespace detail {

void stats_acquired(const LockClass& c, uint64_t wait_ns, bool contended, const std::source_location& site)
{
    ThreadClassStats* s = mine(c);
    if (!s) return;
    s->acquisitions.add(1);
    s->contended.add(contended);
    s->wait.record(wait_ns);
    if (contended) s->record_point(site, wait_ns);
}

void stats_released(const LockClass& c, uint64_t hold_ns)
{
    if (ThreadClassStats* s = mine(c)) s->hold.record(hold_ns);
}

void stats_try_failed(const LockClass& c)
{
    if (ThreadClassStats* s = mine(c)) s->try_failed.add(1);
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
    for (const ContentionPoint& p : o.points) {
        auto same = std::find_if(points.begin(), points.end(),
                                 [&p](const ContentionPoint& q) { return q.thread == p.thread && q.site == p.site; });
        if (same == points.end()) {
            points.push_back(p);
            continue;
        }
        same->contended += p.contended;
        same->wait_total_ns += p.wait_total_ns;
        same->wait_max_ns = std::max(same->wait_max_ns, p.wait_max_ns);
    }
}

void lockstats_enable(bool on)
{
    if (on) lockstat_now_ns();  // calibrates the clock now rather than inside the first lock
    instrumentation_set(kFeatureStats, on);
}
bool lockstats_enabled() { return instrumentation_features() & kFeatureStats; }

void lockstats_reset()
{
    blocks().for_each([](StatsBlock& b) {
        for (auto& c : b.classes)
            if (ThreadClassStats* s = c.load(std::memory_order_acquire)) s->clear();
    });
}

std::vector<LockClassStats> lockstats_snapshot()
{
    std::vector<LockClassStats> merged(LockClass::count());  // classes made later are not reported
    std::vector<bool> used(merged.size());
    blocks().for_each([&](StatsBlock& b) {
        for (unsigned id = 0; id < merged.size(); ++id) {
            const ThreadClassStats* s = b.classes[id].load(std::memory_order_acquire);
            if (!s || !s->active()) continue;
            LockClassStats one;  // this block's, merged in so equal points (other blocks) add up
            s->add_to(one);
            merged[id].merge(one);
            used[id] = true;
        }
    });
    std::vector<LockClassStats> out;
    for (unsigned id = 0; id < merged.size(); ++id) {
        if (!used[id]) continue;
        merged[id].class_id = id;
        merged[id].name = LockClass::by_id(id).name();
        std::stable_sort(merged[id].points.begin(), merged[id].points.end(),
                         [](const ContentionPoint& a, const ContentionPoint& b) { return a.wait_total_ns > b.wait_total_ns; });
        out.push_back(std::move(merged[id]));
    }
    return out;
}

std::string lockstats_table(const std::vector<LockClassStats>& stats, size_t points_per_class)
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
    if (lock_hold_sample_period() > 1)
        out += fmt::format("(hold times: 1 in {} acquisitions per thread sampled, --lock-stats-sample)\n",
                           lock_hold_sample_period());

    size_t thread_width = 6, site_width = 4;
    bool any = false;
    for (auto* s : rows)
        for (size_t i = 0; i < s->points.size() && i < points_per_class; ++i) {
            thread_width = std::max(thread_width, s->points[i].thread.size());
            site_width = std::max(site_width, s->points[i].site.size());
            any = true;
        }
    if (!any) return out;
    out += fmt::format("contention points (who waited where; the busiest {} of each class):\n", points_per_class);
    out += fmt::format("{:<{}} {:<{}} {:<{}} {:>10} {:>10} {:>8}\n", "class", name_width, "thread", thread_width,
                       "site", site_width, "contended", "waittotal", "waitmax");
    for (auto* s : rows)
        for (size_t i = 0; i < s->points.size() && i < points_per_class; ++i) {
            const ContentionPoint& p = s->points[i];
            out += fmt::format("{:<{}} {:<{}} {:<{}} {:>10} {:>10} {:>8}\n", s->name, name_width, p.thread,
                               thread_width, p.site, site_width, p.contended, format_ns(p.wait_total_ns),
                               format_ns(p.wait_max_ns));
        }
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
                           {"hold", latency_json(s.hold)},
                           {"contention_points", points_json(s.points)}});
    return {{"unit", "ns"}, {"hold_sample_period", lock_hold_sample_period()}, {"classes", std::move(classes)}};
}

void lockstats_write_json(const std::vector<LockClassStats>& stats, const std::string& path)
{
    std::ofstream f(path);
    if (!f) throw std::runtime_error("cannot write lock statistics to " + path);
    f << lockstats_json(stats).dump(2) << '\n';
    if (!f.flush()) throw std::runtime_error("error writing lock statistics to " + path);
}

}  // namespace locklab
