// The lock-model options: --lock-model, --lock-impl and --device-lock TYPE=MODEL reach the machine
// configuration; malformed ones are usage errors, and the machine refuses names it does not know,
// listing the ones it does.
#include <catch2/catch.hpp>

#include <chrono>
#include <stdexcept>
#include <string>

#include "locking/lock_wait_policy.h"
#include "loop/thread_scheduling.h"
#include "system/cli.h"
#include "system/machine.h"

using namespace locklab;

TEST_CASE("Lock model options reach the machine configuration", "[system][cli][lock_model]")
{
    auto r = parse_command_line({"run", "--lock-model", "trylock-queue", "--lock-impl", "spin", "--lock-handoff-us", "20",
                                 "--event-loop-spin-us", "7", "--thread-slice-us", "250",
                                 "--device-lock", "clint=per-device", "--device-lock", "serial=global", "guest.elf"});
    REQUIRE(r.config);
    CHECK(r.config->lock_model == "trylock-queue");
    CHECK(r.config->lock_impl == "spin");
    CHECK(r.config->lock_handoff_us == 20);
    CHECK(r.config->event_loop_spin_us == 7);
    CHECK(r.config->thread_slice_us == 250);
    REQUIRE(r.config->device_locks.size() == 2);
    CHECK(r.config->device_locks[0] == std::pair<std::string, std::string>{"clint", "per-device"});
    CHECK(r.config->device_locks[1] == std::pair<std::string, std::string>{"serial", "global"});

    auto d = parse_command_line({"run", "guest.elf"});
    REQUIRE(d.config);
    CHECK(d.config->lock_model == "global");
    CHECK(d.config->lock_impl == "mutex");
    CHECK(d.config->lock_handoff_us == 100);
    CHECK(d.config->event_loop_spin_us == 50);
    CHECK(d.config->thread_slice_us == 100);
    CHECK(d.config->device_locks.empty());
}

TEST_CASE("A --device-lock that is not TYPE=MODEL is a usage error", "[system][cli][lock_model]")
{
    for (const char* bad : {"clint", "=per-device", "clint=", "="}) {
        INFO("--device-lock " << bad);
        auto r = parse_command_line({"run", "--device-lock", bad, "guest.elf"});
        CHECK_FALSE(r.config);
        CHECK(r.exit_code == 2);
    }
}

TEST_CASE("The machine refuses unknown lock models and implementations and lists the known ones",
          "[system][lock_model]")
{
    MachineConfig cfg;
    cfg.kernel = "/nonexistent/guest.elf";
    cfg.serial_in_fd = -1;
    cfg.serial_out = "/dev/null";
    SECTION("--lock-impl")
    {
        cfg.lock_impl = "ticket";
        CHECK_THROWS_WITH(Machine(cfg), Catch::Contains("--lock-impl ticket: unknown (available: mutex, queuing, spin, rfifo, handoff, adaptive)"));
    }
    SECTION("--lock-model")
    {
        cfg.lock_model = "bkl";
        CHECK_THROWS_WITH(Machine(cfg), Catch::Contains("--lock-model bkl: unknown (available: global, per-device"));
    }
    SECTION("--device-lock")
    {
        cfg.device_locks = {{"clint", "bkl"}};
        CHECK_THROWS_WITH(Machine(cfg), Catch::Contains("--device-lock clint=bkl: unknown lock model"));
    }
    SECTION("--event-loop-spin-us and --thread-slice-us take effect before anything else can fail")
    {
        cfg.event_loop_spin_us = 7;
        cfg.thread_slice_us = 250;
        CHECK_THROWS_WITH(Machine(cfg), Catch::Contains("/nonexistent/guest.elf"));
        CHECK(event_loop_lock_spin() == std::chrono::microseconds(7));
        CHECK(thread_slice() == std::chrono::microseconds(250));
    }
    set_event_loop_lock_spin(kDefaultEventLoopSpin);
    set_thread_slice(kDefaultThreadSlice);
    set_lock_model(make_lock_model("global"));
    clear_device_lock_models();
}
