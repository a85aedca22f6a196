// The command line: QEMU spellings map to the same configuration as `locklab run`, unsupported
// QEMU options are refused by name, and bad values are errors, not defaults.
#include <catch2/catch.hpp>

#include "system/cli.h"

using namespace locklab;

TEST_CASE("sizes parse with QEMU's units, plain numbers meaning MiB", "[system][cli]")
{
    CHECK(parse_size("128M") == 128ull << 20);
    CHECK(parse_size("2G") == 2ull << 30);
    CHECK(parse_size("64k") == 64ull << 10);
    CHECK(parse_size("256") == 256ull << 20);
    CHECK_THROWS_AS(parse_size("lots"), UsageError);
    CHECK_THROWS_AS(parse_size("12Q"), UsageError);
}

TEST_CASE("QEMU spellings configure the same machine as `locklab run`", "[system][cli]")
{
    auto q = parse_command_line({"-machine", "virt", "-nographic", "-bios", "none", "-smp", "4", "-m", "256M",
                                 "-kernel", "guest.elf"});
    REQUIRE(q.config);
    CHECK(q.config->kernel == "guest.elf");
    CHECK(q.config->smp == 4);
    CHECK(q.config->ram_size == 256ull << 20);

    auto r = parse_command_line({"run", "--smp", "4", "-m", "256M", "guest.elf"});
    REQUIRE(r.config);
    CHECK(r.config->kernel == q.config->kernel);
    CHECK(r.config->smp == q.config->smp);
    CHECK(r.config->ram_size == q.config->ram_size);
}

TEST_CASE("unsupported QEMU options are refused, not ignored", "[system][cli]")
{
    CHECK_THROWS_WITH(translate_qemu_args({"-kernel", "x", "-netdev", "user,id=n0"}),
                      Catch::Contains("'-netdev' is not supported"));
    CHECK_FALSE(parse_command_line({"-kernel", "x.elf", "-bios", "default"}).config);
    CHECK_FALSE(parse_command_line({"-kernel", "x.elf", "-machine", "sifive_u"}).config);
    CHECK_FALSE(parse_command_line({"-kernel", "x.elf", "-smp", "0"}).config);
    CHECK(parse_command_line({"-kernel", "x.elf", "-smp", "0"}).exit_code != 0);
}

TEST_CASE("The device option adds the pluggable types and refuses every other type", "[system][cli][hotplug]")
{
    auto q = parse_command_line({"-kernel", "x.elf", "-device", "mmio-scratch,id=s0,cost=200", "-device",
                                 "mmio-scratch", "--hotplug-script", "plan.txt"});
    REQUIRE(q.config);
    CHECK(q.config->devices == std::vector<std::string>{"mmio-scratch,id=s0,cost=200", "mmio-scratch"});
    CHECK(q.config->hotplug_script == "plan.txt");
    auto r = parse_command_line({"run", "--device", "mmio-scratch,id=s0", "x.elf"});
    REQUIRE(r.config);
    CHECK(r.config->kernel == "x.elf");
    CHECK(r.config->devices == std::vector<std::string>{"mmio-scratch,id=s0"});
    CHECK_FALSE(parse_command_line({"-kernel", "x.elf", "-device", "virtio-net-device"}).config);
    CHECK_FALSE(parse_command_line({"-kernel", "x.elf", "-device", "mmio-scratchy"}).config);
}

TEST_CASE("trace and threading options", "[system][cli]")
{
    auto r = parse_command_line({"run", "--threads", "single", "-d", "in_asm,exec", "x.elf"});
    REQUIRE(r.config);
    CHECK(r.config->threads == ThreadMode::Single);
    CHECK(r.config->trace_in_asm);
    CHECK(r.config->trace_exec);
    CHECK_FALSE(parse_command_line({"run", "-d", "everything", "x.elf"}).config);
    CHECK_FALSE(parse_command_line({"run", "--threads", "many", "x.elf"}).config);
}

TEST_CASE("A firmware named with -bios FILE may come without a kernel, and none or default name no file",
          "[system][cli]")
{
    auto f = parse_command_line({"-bios", "fw_jump.elf", "-kernel", "u-boot.bin"});
    REQUIRE(f.config);
    CHECK(f.config->bios == "fw_jump.elf");
    CHECK(f.config->kernel == "u-boot.bin");
    auto alone = parse_command_line({"-bios", "fw_jump.elf"});
    REQUIRE(alone.config);
    CHECK(alone.config->kernel.empty());
    auto none = parse_command_line({"-bios", "none", "-kernel", "x.elf"});
    REQUIRE(none.config);
    CHECK(none.config->bios.empty());
    CHECK_FALSE(parse_command_line({"-bios", "none"}).config);  // nothing to run
}
