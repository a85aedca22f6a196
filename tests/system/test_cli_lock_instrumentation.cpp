// The lock instrumentation options: --lock-stats, --lock-stats-json, --lock-stats-sample,
// --lockdep[=warn|abort], --trace.
#include <catch2/catch.hpp>

#include "system/cli.h"

using namespace locklab;

TEST_CASE("lock instrumentation is off unless asked for", "[system][cli]")
{
    auto r = parse_command_line({"run", "x.elf"});
    REQUIRE(r.config);
    const auto& li = r.config->lock_instrumentation;
    CHECK_FALSE(li.lock_stats);
    CHECK(li.lock_stats_json.empty());
    CHECK(li.lockdep == LockdepMode::Off);
    CHECK(li.trace_file.empty());
}

TEST_CASE("lock statistics, lockdep and trace options fill the configuration", "[system][cli]")
{
    auto r = parse_command_line({"run", "--lock-stats", "--lock-stats-json", "s.json", "--lockdep", "--trace",
                                 "t.json", "x.elf"});
    REQUIRE(r.config);
    const auto& li = r.config->lock_instrumentation;
    CHECK(li.lock_stats);
    CHECK(li.lock_stats_json == "s.json");
    CHECK(li.lockdep == LockdepMode::Warn);
    CHECK(li.trace_file == "t.json");
    CHECK(r.config->kernel == "x.elf");

    // The QEMU spelling (no `run`) takes them too.
    auto q = parse_command_line({"-kernel", "x.elf", "--lockdep=abort"});
    REQUIRE(q.config);
    CHECK(q.config->lock_instrumentation.lockdep == LockdepMode::Abort);
    auto w = parse_command_line({"run", "--lockdep=warn", "x.elf"});
    REQUIRE(w.config);
    CHECK(w.config->lock_instrumentation.lockdep == LockdepMode::Warn);
}

TEST_CASE("an unknown lockdep mode is a usage error", "[system][cli]")
{
    auto r = parse_command_line({"run", "--lockdep=maybe", "x.elf"});
    CHECK_FALSE(r.config);
    CHECK(r.exit_code == 2);
}

TEST_CASE("The --lock-stats-sample option sets the hold sample period, and 0 is a usage error", "[system][cli]")
{
    auto d = parse_command_line({"run", "--lock-stats", "x.elf"});
    REQUIRE(d.config);
    CHECK(d.config->lock_instrumentation.hold_sample_period == 1);  // exact unless asked
    auto r = parse_command_line({"run", "--lock-stats", "--lock-stats-sample", "16", "x.elf"});
    REQUIRE(r.config);
    CHECK(r.config->lock_instrumentation.hold_sample_period == 16);
    auto z = parse_command_line({"run", "--lock-stats-sample", "0", "x.elf"});
    CHECK_FALSE(z.config);
    CHECK(z.exit_code == 2);
}
