// The run-time switches of the lock instrumentation (--lock-stats, --lock-stats-json,
// --lock-stats-sample, --lockdep, --trace) and what a run does with them at start and at exit.
#pragma once

#include <cstdint>
#include <string>

#include "locking/lockdep.h"
#include "locking/trace.h"

namespace locklab {

struct LockInstrumentationOptions {
    bool lock_stats = false;                   // --lock-stats: a table on stderr at exit
    std::string lock_stats_json;               // --lock-stats-json FILE: the same as JSON
    unsigned hold_sample_period = 1;           // --lock-stats-sample N: time 1 in N holds (lock_class.h)
    LockdepMode lockdep = LockdepMode::Off;    // --lockdep[=warn|abort]
    std::string trace_file;                    // --trace FILE: Chrome/Perfetto trace-event JSON
    uint64_t trace_max_events = kTraceDefaultMaxEvents;
};

// Parses --lockdep's value ("warn" or "abort"); false if it is neither.
bool parse_lockdep_mode(const std::string& s, LockdepMode& mode);

// Switches on what `o` asks for, after checking its output files can be created (throws
// std::runtime_error naming the option and file if one cannot).
void lock_instrumentation_start(const LockInstrumentationOptions& o);

// At exit: prints the statistics table and the lockdep summary on stderr and writes the files `o`
// names. Returns false (having said why on stderr) if a file could not be written.
bool lock_instrumentation_finish(const LockInstrumentationOptions& o);

}  // namespace locklab
