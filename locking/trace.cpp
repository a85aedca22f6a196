#include "locking/trace.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "locking/lock_class.h"
#include "locking/per_thread_blocks.h"
#include "locking/thread_name.h"

namespace locklab {
namespace {

enum class Kind : uint8_t { LockWait, LockHold, MmioRead, MmioWrite };

struct TraceEvent {
    uint64_t start_ns;
    uint64_t dur_ns;
    uint64_t addr;  // MMIO only
    int tid;
    Kind kind;
    uint8_t size;                  // MMIO only
    std::array<char, 34> name;     // lock class or memory region, truncated, 0-terminated
};

constexpr size_t kChunkEvents = 4096;  // what a thread takes from the budget at a time

struct TraceBlock {
    std::vector<std::unique_ptr<std::vector<TraceEvent>>> chunks;  // each with capacity kChunkEvents
    uint64_t dropped = 0;
    std::vector<std::pair<int, std::string>> threads;  // (tid, name) of the threads that wrote here
};

// Never destroyed: threads may still take locks while the process exits.
PerThreadBlocks<TraceBlock>& blocks()
{
    static auto* b = new PerThreadBlocks<TraceBlock>;
    return *b;
}

std::atomic<uint64_t> g_budget{0};      // events that may still be buffered; chunks are taken from it
std::atomic<uint64_t> g_max_events{0};  // the cap of the current recording
std::atomic<uint64_t> g_origin_ns{0};   // ts 0 of the trace: when recording started
std::atomic<uint64_t> g_epoch{1};       // bumped whenever the buffers are emptied
thread_local uint64_t t_named_epoch = 0;  // home thread only: the epoch this thread gave its name in

// Takes up to kChunkEvents from the budget; 0 once it is spent.
size_t take_budget()
{
    uint64_t left = g_budget.load(std::memory_order_relaxed);
    uint64_t n;
    do {
        n = std::min<uint64_t>(left, kChunkEvents);
        if (n == 0) return 0;
    } while (!g_budget.compare_exchange_weak(left, left - n, std::memory_order_relaxed));
    return n;
}

void record(Kind kind, uint64_t start_ns, uint64_t dur_ns, std::string_view name, uint64_t addr = 0,
            unsigned size = 0)
{
    const int tid = current_thread_id();
    const uint64_t epoch = g_epoch.load(std::memory_order_relaxed);
    const bool first_in_epoch = t_named_epoch != epoch;
    std::string thread_name = first_in_epoch ? current_thread_name() : std::string();
    t_named_epoch = epoch;
    blocks().update([&](TraceBlock& b) {
        if (first_in_epoch) b.threads.emplace_back(tid, std::move(thread_name));
        if (b.chunks.empty() || b.chunks.back()->size() == b.chunks.back()->capacity()) {
            const size_t n = take_budget();
            if (n == 0) {
                ++b.dropped;
                return;
            }
            b.chunks.push_back(std::make_unique<std::vector<TraceEvent>>());
            b.chunks.back()->reserve(n);
        }
        TraceEvent e{start_ns, dur_ns, addr, tid, kind, uint8_t(size), {}};
        const size_t len = std::min(name.size(), e.name.size() - 1);
        std::memcpy(e.name.data(), name.data(), len);
        b.chunks.back()->push_back(e);
    });
}

std::string json_string(std::string_view s) { return nlohmann::json(s).dump(); }

void write_event(std::string& out, const TraceEvent& e, int pid, uint64_t origin)
{
    const double ts = double(e.start_ns > origin ? e.start_ns - origin : 0) / 1e3;
    const double dur = double(e.dur_ns) / 1e3;
    const std::string name = json_string(e.name.data());
    switch (e.kind) {
    case Kind::LockWait:
        out += fmt::format(R"({{"name":{},"cat":"lock-wait","ph":"X","ts":{:.3f},"dur":{:.3f},"pid":{},"tid":{}}})",
                           name, ts, dur, pid, e.tid);
        break;
    case Kind::LockHold:
        out += fmt::format(R"({{"name":{},"cat":"lock-hold","ph":"X","ts":{:.3f},"dur":{:.3f},"pid":{},"tid":{}}})",
                           name, ts, dur, pid, e.tid);
        break;
    case Kind::MmioRead:
    case Kind::MmioWrite:
        out += fmt::format(R"({{"name":{},"cat":"mmio","ph":"X","ts":{:.3f},"dur":{:.3f},"pid":{},"tid":{},)"
                           R"("args":{{"addr":"{:#x}","size":{},"op":"{}"}}}})",
                           name, ts, dur, pid, e.tid, e.addr, e.size, e.kind == Kind::MmioRead ? "read" : "write");
        break;
    }
}

// Writes the whole trace as JSON text, in pieces, through `sink`.
template <class Sink>
void write_trace(Sink&& sink)
{
    constexpr size_t kFlushBytes = 1 << 20;
    const int pid = getpid();
    const uint64_t origin = g_origin_ns.load(std::memory_order_relaxed);
    uint64_t recorded = 0, dropped = 0;
    std::string out = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
    out += fmt::format(R"({{"name":"process_name","ph":"M","pid":{},"tid":0,"args":{{"name":"locklab"}}}})", pid);
    blocks().for_each([&](TraceBlock& b) {
        for (const auto& [tid, name] : b.threads)
            out += fmt::format(",\n{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":{},\"tid\":{},\"args\":{{\"name\":{}}}}}",
                               pid, tid, json_string(name));
        for (const auto& chunk : b.chunks)
            for (const TraceEvent& e : *chunk) {
                out += ",\n";
                write_event(out, e, pid, origin);
                ++recorded;
                if (out.size() >= kFlushBytes) {
                    sink(std::string_view(out));
                    out.clear();
                }
            }
        dropped += b.dropped;
    });
    out += fmt::format("\n],\"otherData\":{{\"max_events\":{},\"recorded_events\":{},\"dropped_events\":{},"
                       "\"note\":\"at most max_events events are kept; later ones are dropped. Lock waits are "
                       "recorded for contended acquisitions only.\"}}}}\n",
                       g_max_events.load(std::memory_order_relaxed), recorded, dropped);
    sink(std::string_view(out));
}

}  // namespace

namespace detail {

void trace_lock_acquired(const LockClass& c, uint64_t wait_ns, bool contended)
{
    if (!contended) return;
    const uint64_t now = lockstat_now_ns();
    record(Kind::LockWait, now - std::min(now, wait_ns), wait_ns, c.name());
}

void trace_lock_released(const LockClass& c, uint64_t hold_ns)
{
    const uint64_t now = lockstat_now_ns();
    record(Kind::LockHold, now - std::min(now, hold_ns), hold_ns, c.name());
}

uint64_t trace_mmio_begin() { return lockstat_now_ns(); }

void trace_mmio_end(uint64_t start_ns, std::string_view region, uint64_t addr, unsigned size, bool write)
{
    record(write ? Kind::MmioWrite : Kind::MmioRead, start_ns, lockstat_now_ns() - start_ns, region, addr, size);
}

}  // namespace detail

void trace_enable(bool on, uint64_t max_events)
{
    if (on) {
        trace_reset();
        g_max_events.store(max_events, std::memory_order_relaxed);
        g_budget.store(max_events, std::memory_order_relaxed);
        g_origin_ns.store(lockstat_now_ns(), std::memory_order_relaxed);
    }
    instrumentation_set(kFeatureTrace, on);
}

bool trace_enabled() { return instrumentation_features() & kFeatureTrace; }

void trace_reset()
{
    g_epoch.fetch_add(1, std::memory_order_relaxed);
    blocks().for_each([](TraceBlock& b) {
        b.chunks.clear();
        b.threads.clear();
        b.dropped = 0;
    });
    g_budget.store(g_max_events.load(std::memory_order_relaxed), std::memory_order_relaxed);
}

nlohmann::json trace_json()
{
    std::string text;
    write_trace([&](std::string_view piece) { text += piece; });
    return nlohmann::json::parse(text);
}

void trace_write(const std::string& path)
{
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (!f) throw std::runtime_error("cannot write trace to " + path + ": " + std::strerror(errno));
    bool ok = true;
    write_trace([&](std::string_view piece) { ok = ok && std::fwrite(piece.data(), 1, piece.size(), f) == piece.size(); });
    ok = (std::fclose(f) == 0) && ok;
    if (!ok) throw std::runtime_error("error writing trace to " + path + ": " + std::strerror(errno));
}

}  // namespace locklab
