#include "locking/lock_instrumentation.h"

#include "locking/lock_class.h"

#include <cstdio>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "locking/lock_stats.h"

namespace locklab {
namespace {

// Creates (truncates) `path` now, so a bad path is an error at start-up, not after a long run.
void check_writable(const char* option, const std::string& path)
{
    if (path.empty()) return;
    if (!std::ofstream(path)) throw std::runtime_error(fmt::format("{} {}: cannot open for writing", option, path));
}

}  // namespace

bool parse_lockdep_mode(const std::string& s, LockdepMode& mode)
{
    if (s == "warn") mode = LockdepMode::Warn;
    else if (s == "abort") mode = LockdepMode::Abort;
    else return false;
    return true;
}

void lock_instrumentation_start(const LockInstrumentationOptions& o)
{
    check_writable("--lock-stats-json", o.lock_stats_json);
    check_writable("--trace", o.trace_file);
    set_lock_hold_sample_period(o.hold_sample_period);
    if (o.lock_stats || !o.lock_stats_json.empty()) {
        lockstats_reset();
        lockstats_enable(true);
    }
    if (o.lockdep != LockdepMode::Off) {
        lockdep_reset();
        lockdep_enable(o.lockdep);
    }
    if (!o.trace_file.empty()) trace_enable(true, o.trace_max_events);
}

bool lock_instrumentation_finish(const LockInstrumentationOptions& o)
{
    bool ok = true;
    if (o.lock_stats || !o.lock_stats_json.empty()) {
        const auto stats = lockstats_snapshot();
        if (o.lock_stats) fmt::print(stderr, "locklab lock statistics:\n{}", lockstats_table(stats));
        if (!o.lock_stats_json.empty()) {
            try {
                lockstats_write_json(stats, o.lock_stats_json);
            } catch (const std::exception& e) {
                fmt::print(stderr, "locklab: --lock-stats-json: {}\n", e.what());
                ok = false;
            }
        }
    }
    if (o.lockdep != LockdepMode::Off)
        fmt::print(stderr, "locklab lockdep: {} lock order cycle(s) among {} lock orders seen\n",
                   lockdep_reports().size(), lockdep_edge_count());
    if (!o.trace_file.empty()) {
        trace_enable(false);
        try {
            trace_write(o.trace_file);
        } catch (const std::exception& e) {
            fmt::print(stderr, "locklab: --trace: {}\n", e.what());
            ok = false;
        }
    }
    return ok;
}

}  // namespace locklab
