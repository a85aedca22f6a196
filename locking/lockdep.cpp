#include "locking/lockdep.h"

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <unordered_map>

#include <fmt/format.h>

#include "locking/instrumentation.h"
#include "locking/lock_class.h"
#include "locking/thread_name.h"

namespace locklab {
namespace {

constexpr unsigned kClasses = LockClass::kMax;
constexpr unsigned kWordsPerRow = kClasses / 64;

// ---- this thread's held locks (home thread only) ----

struct HeldLock {
    unsigned cls;
    std::source_location site;
    bool pending;  // lockdep_acquire seen, the lock not yet taken
};

struct HeldStack {
    static constexpr unsigned kDepth = 48;
    std::array<HeldLock, kDepth> locks;
    unsigned depth = 0;

    // Topmost entry of class `cls` whose pending flag is `pending`, or -1.
    int find(unsigned cls, bool pending) const
    {
        for (int i = int(depth) - 1; i >= 0; --i)
            if (locks[i].cls == cls && locks[i].pending == pending) return i;
        return -1;
    }
    void remove(int i)
    {
        for (unsigned j = unsigned(i) + 1; j < depth; ++j) locks[j - 1] = locks[j];
        --depth;
    }
};

thread_local HeldStack t_held;  // home thread only

// ---- the global graph ----

// Bit (from, to) set once the edge from -> to is in the graph: the hot path's only shared read.
// Set (release) under Graph::mutex after the edge is recorded; read relaxed (a stale 0 only sends
// the caller to the slow path, which re-checks under the mutex).
std::array<std::atomic<uint64_t>, kClasses * kWordsPerRow> g_known{};

bool known(unsigned from, unsigned to)
{
    return g_known[from * kWordsPerRow + to / 64].load(std::memory_order_relaxed) >> (to % 64) & 1;
}

struct EdgeSites {
    std::source_location from_site;
    std::source_location to_site;
    std::string thread;
};

struct Graph {
    std::mutex mutex;                                   // protects everything below, and g_known writes
    std::array<std::vector<unsigned>, kClasses> succ;   // adjacency lists
    std::unordered_map<uint64_t, EdgeSites> sites;      // key from * kClasses + to: first sighting
    size_t edges = 0;
    std::vector<LockdepReport> reports;
};

// Never destroyed: threads may still take locks while the process exits.
Graph& graph()
{
    static Graph* g = new Graph;
    return *g;
}

std::atomic<LockdepMode> g_mode{LockdepMode::Off};  // relaxed: set at start-up

uint64_t key(unsigned from, unsigned to) { return uint64_t(from) * kClasses + to; }

LockdepEdge describe(Graph& g, unsigned from, unsigned to)
{
    const EdgeSites& s = g.sites.at(key(from, to));
    return {LockClass::by_id(from).name(), LockClass::by_id(to).name(), s.from_site, s.to_site, s.thread};
}

// The path from -> ... -> to in the graph (breadth first: the shortest), empty if none.
std::vector<LockdepEdge> find_path(Graph& g, unsigned from, unsigned to)
{
    std::vector<int> parent(kClasses, -1);
    std::deque<unsigned> queue{from};
    parent[from] = int(from);
    while (!queue.empty() && parent[to] < 0) {
        const unsigned n = queue.front();
        queue.pop_front();
        for (unsigned next : g.succ[n])
            if (parent[next] < 0) {
                parent[next] = int(n);
                queue.push_back(next);
            }
    }
    std::vector<LockdepEdge> path;
    if (parent[to] < 0) return path;
    for (unsigned n = to; n != from; n = unsigned(parent[n])) path.insert(path.begin(), describe(g, unsigned(parent[n]), n));
    return path;
}

std::string where(const std::source_location& s)
{
    return fmt::format("{}:{} ({})", s.file_name(), s.line(), s.function_name());
}

std::string format_order(const LockdepEdge& e)
{
    return fmt::format("    \"{}\" held, taken at {}\n    then \"{}\" taken at {}\n", e.from, where(e.from_site),
                       e.to, where(e.to_site));
}

std::string format_report(const LockdepReport& r)
{
    std::string text = fmt::format(
        "locklab lockdep: possible deadlock: lock classes \"{}\" and \"{}\" are taken in both orders\n"
        "  this order, in thread \"{}\":\n{}"
        "  the opposite order, seen before:\n",
        r.new_order.from, r.new_order.to, r.new_order.thread, format_order(r.new_order));
    for (const auto& e : r.opposite) text += fmt::format("   in thread \"{}\":\n{}", e.thread, format_order(e));
    return text;
}

// Slow path: records from -> to unless known, reporting the cycle it closes.
void add_edge(unsigned from, unsigned to, const std::source_location& from_site, const std::source_location& to_site)
{
    Graph& g = graph();
    std::lock_guard lock(g.mutex);
    if (known(from, to)) return;
    std::vector<LockdepEdge> opposite = find_path(g, to, from);
    g.sites.emplace(key(from, to), EdgeSites{from_site, to_site, current_thread_name()});
    g.succ[from].push_back(to);
    ++g.edges;
    g_known[from * kWordsPerRow + to / 64].fetch_or(uint64_t{1} << (to % 64), std::memory_order_release);
    if (opposite.empty()) return;

    LockdepReport r{describe(g, from, to), std::move(opposite), {}};
    r.text = format_report(r);
    std::fputs(r.text.c_str(), stderr);
    g.reports.push_back(std::move(r));
    if (g_mode.load(std::memory_order_relaxed) == LockdepMode::Abort) {
        std::fputs("locklab lockdep: aborting (--lockdep=abort)\n", stderr);
        std::abort();
    }
}

void warn_too_deep()
{
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true))
        std::fprintf(stderr, "locklab lockdep: a thread holds more than %u locks; deeper ones are not checked\n",
                     HeldStack::kDepth);
}

}  // namespace

namespace detail {

void lockdep_acquire(const LockClass& c, const std::source_location& site, bool trylock)
{
    HeldStack& h = t_held;
    const unsigned to = c.id();
    if (!trylock)
        for (unsigned i = 0; i < h.depth; ++i) {
            const HeldLock& held = h.locks[i];
            if (held.pending || held.cls == to || known(held.cls, to)) continue;
            add_edge(held.cls, to, held.site, site);
        }
    if (h.depth == HeldStack::kDepth) return warn_too_deep();
    h.locks[h.depth++] = {to, site, true};
}

void lockdep_acquired(const LockClass& c)
{
    HeldStack& h = t_held;
    if (int i = h.find(c.id(), true); i >= 0) h.locks[i].pending = false;
}

void lockdep_try_failed(const LockClass& c)
{
    HeldStack& h = t_held;
    if (int i = h.find(c.id(), true); i >= 0) h.remove(i);
}

void lockdep_release(const LockClass& c)
{
    HeldStack& h = t_held;
    if (int i = h.find(c.id(), false); i >= 0) h.remove(i);
}

}  // namespace detail

void lockdep_enable(LockdepMode mode)
{
    g_mode.store(mode, std::memory_order_relaxed);
    instrumentation_set(kFeatureLockdep, mode != LockdepMode::Off);
}

LockdepMode lockdep_mode() { return g_mode.load(std::memory_order_relaxed); }

std::vector<LockdepReport> lockdep_reports()
{
    Graph& g = graph();
    std::lock_guard lock(g.mutex);
    return g.reports;
}

size_t lockdep_edge_count()
{
    Graph& g = graph();
    std::lock_guard lock(g.mutex);
    return g.edges;
}

void lockdep_reset()
{
    Graph& g = graph();
    std::lock_guard lock(g.mutex);
    for (auto& w : g_known) w.store(0, std::memory_order_relaxed);
    for (auto& s : g.succ) s.clear();
    g.sites.clear();
    g.edges = 0;
    g.reports.clear();
}

}  // namespace locklab
