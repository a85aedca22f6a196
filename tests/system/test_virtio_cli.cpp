// The virtio-blk command line in QEMU's spelling: -object iothread, -drive, -device
// virtio-blk-device and -global virtio-mmio.force-legacy reach the machine configuration, and what
// locklab does not support, or what refers to something not given, is refused with a message naming
// the option and the problem (before any image is opened or guest runs).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "system/cli.h"

using namespace locklab;

namespace {

const std::vector<std::string> kBase = {"-M", "virt", "-bios", "none", "-kernel", "guest.elf"};

std::vector<std::string> with_base(std::vector<std::string> args)
{
    args.insert(args.begin(), kBase.begin(), kBase.end());
    return args;
}

// Parses a command line that must be refused and returns what it printed on stderr.
std::string refusal(std::vector<std::string> args)
{
    std::fflush(stderr);
    FILE* capture = std::tmpfile();
    REQUIRE(capture);
    const int saved = dup(STDERR_FILENO);
    dup2(fileno(capture), STDERR_FILENO);
    const CliResult r = parse_command_line(with_base(std::move(args)));
    std::fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    std::string text(4096, '\0');
    std::rewind(capture);
    text.resize(std::fread(text.data(), 1, text.size(), capture));
    std::fclose(capture);
    CHECK_FALSE(r.config);
    CHECK(r.exit_code == 2);
    return text;
}

MachineConfig accepted(std::vector<std::string> args)
{
    CliResult r = parse_command_line(with_base(std::move(args)));
    REQUIRE(r.config);
    return *r.config;
}

}  // namespace

TEST_CASE("QEMU's iothread, drive and virtio-blk-device options reach the machine configuration",
          "[system][cli][virtio]")
{
    const MachineConfig cfg = accepted({"-object", "iothread,id=io0", "-drive",
                                        "file=disk.qcow2,if=none,format=qcow2,id=d0,readonly=on,cache=writeback",
                                        "-device", "virtio-blk-device,drive=d0,bus=virtio-mmio-bus.3,iothread=io0"});
    CHECK(cfg.iothreads == std::vector<std::string>{"io0"});
    REQUIRE(cfg.drives.size() == 1);
    CHECK(cfg.drives[0].id == "d0");
    CHECK(cfg.drives[0].file == "disk.qcow2");
    CHECK(cfg.drives[0].format == "qcow2");
    CHECK(cfg.drives[0].read_only);
    CHECK(cfg.devices == std::vector<std::string>{"virtio-blk-device,drive=d0,bus=virtio-mmio-bus.3,iothread=io0"});
    CHECK(cfg.virtio_force_legacy);  // QEMU's default: the legacy (version 1) register layout

    CliResult run = parse_command_line({"run", "--object", "iothread,id=io0", "--drive", "file=disk.img,format=raw,id=d0",
                                        "--device", "virtio-blk-device,drive=d0,iothread=io0", "guest.elf"});
    REQUIRE(run.config);
    CHECK(run.config->kernel == "guest.elf");
    REQUIRE(run.config->drives.size() == 1);
    CHECK_FALSE(run.config->drives[0].read_only);
    CHECK(run.config->drives[0].format == "raw");
}

TEST_CASE("if=virtio adds a virtio-blk-device after the -device ones, and drives without id get QEMU's names",
          "[system][cli][virtio]")
{
    const MachineConfig cfg = accepted({"-drive", "file=a.img,format=raw,if=virtio", "-drive", "file=b.img,if=none",
                                        "-drive", "file=c.img,format=raw,if=virtio,id=sys", "-device",
                                        "virtio-blk-device,drive=none0,serial=SN1"});
    REQUIRE(cfg.drives.size() == 3);
    CHECK(cfg.drives[0].id == "virtio0");
    CHECK(cfg.drives[1].id == "none0");
    CHECK(cfg.drives[1].format.empty());  // probed when opened, as QEMU does (with a warning)
    CHECK(cfg.drives[2].id == "sys");
    CHECK(cfg.devices == std::vector<std::string>{"virtio-blk-device,drive=none0,serial=SN1",
                                                  "virtio-blk-device,drive=virtio0", "virtio-blk-device,drive=sys"});
}

TEST_CASE("a doubled comma in a -drive value is a comma of the file name", "[system][cli][virtio]")
{
    const MachineConfig cfg = accepted({"-drive", "file=my,,disk.img,format=raw,id=d0"});
    REQUIRE(cfg.drives.size() == 1);
    CHECK(cfg.drives[0].file == "my,disk.img");
}

TEST_CASE("a drive with aio=threads puts every request on the worker threads, and with aio=nowait (the default) tries inline first",
          "[system][cli][virtio]")
{
    CHECK(accepted({"-drive", "file=a.img,format=raw,id=d0"}).drives.at(0).aio == AioMode::Nowait);
    CHECK(accepted({"-drive", "file=a.img,format=raw,id=d0,aio=nowait"}).drives.at(0).aio == AioMode::Nowait);
    CHECK(accepted({"-drive", "file=a.img,format=raw,id=d0,aio=threads"}).drives.at(0).aio == AioMode::Threads);
    CHECK_THAT(refusal({"-drive", "file=a.img,aio=native,id=d0"}),
               Catch::Contains("aio=native is not supported (threads: every read and write on the worker threads"));
}

TEST_CASE("the -global virtio-mmio.force-legacy option chooses the virtio-mmio register layout", "[system][cli][virtio]")
{
    CHECK_FALSE(accepted({"-global", "virtio-mmio.force-legacy=false"}).virtio_force_legacy);
    CHECK(accepted({"-global", "virtio-mmio.force-legacy=true"}).virtio_force_legacy);
    CHECK_THAT(refusal({"-global", "virtio-mmio.force-legacy=maybe"}), Catch::Contains("expected on or off"));
    CHECK_THAT(refusal({"-global", "virtio-blk-device.scsi=off"}),
               Catch::Contains("-global virtio-blk-device.scsi=off: only virtio-mmio.force-legacy"));
}

TEST_CASE("a -drive locklab cannot honour is refused by name", "[system][cli][virtio]")
{
    CHECK_THAT(refusal({"-drive", "if=none,format=raw,id=d0"}), Catch::Contains("-drive: no file= for id=d0"));
    CHECK_THAT(refusal({"-drive", "file=a.vmdk,format=vmdk,id=d0"}), Catch::Contains("format=vmdk is not supported"));
    CHECK_THAT(refusal({"-drive", "file=a.img,if=ide,id=d0"}), Catch::Contains("if=ide is not supported"));
    CHECK_THAT(refusal({"-drive", "file=a.img,cache=none,id=d0"}), Catch::Contains("cache=none is not supported"));
    CHECK_THAT(refusal({"-drive", "file=a.img,media=cdrom,id=d0"}), Catch::Contains("media=cdrom is not supported"));
    CHECK_THAT(refusal({"-drive", "file=a.img,aio=io_uring,id=d0"}), Catch::Contains("aio=io_uring is not supported"));
    CHECK_THAT(refusal({"-drive", "file=a.img,discard=unmap,id=d0"}), Catch::Contains("property 'discard' is not supported"));
    CHECK_THAT(refusal({"-drive", "file=a.img,readonly=perhaps,id=d0"}), Catch::Contains("readonly=perhaps: expected on or off"));
    CHECK_THAT(refusal({"-drive", "file=a.img,id=0d"}), Catch::Contains("id '0d' is not well formed"));
    CHECK_THAT(refusal({"-drive", "file=a.img,id=d0", "-drive", "file=b.img,id=d0"}),
               Catch::Contains("drive id 'd0' is given twice"));
    CHECK_THAT(refusal({"-drive", "file=a.img,id=d0,id=d1"}), Catch::Contains("'id' given twice"));
    CHECK_THAT(refusal({"-drive", "a.img"}), Catch::Contains("'a.img' is not KEY=VALUE"));
}

TEST_CASE("the -object option makes IOThreads only, each with a fresh well-formed id", "[system][cli][virtio]")
{
    CHECK(accepted({"-object", "iothread,id=io0", "-object", "iothread,id=io1"}).iothreads ==
          std::vector<std::string>{"io0", "io1"});
    CHECK_THAT(refusal({"-object", "memory-backend-ram,id=m0,size=1G"}),
               Catch::Contains("-object memory-backend-ram,id=m0,size=1G: only iothread objects are supported"));
    CHECK_THAT(refusal({"-object", "iothread"}), Catch::Contains("-object iothread: no id="));
    CHECK_THAT(refusal({"-object", "iothread,id=io0,poll-max-ns=0"}),
               Catch::Contains("iothread property 'poll-max-ns' is not supported"));
    CHECK_THAT(refusal({"-object", "iothread,id=io0", "-object", "iothread,id=io0"}),
               Catch::Contains("iothread id 'io0' is given twice"));
    CHECK_THAT(refusal({"-object", "iothread,id=9"}), Catch::Contains("id '9' is not well formed"));
}

TEST_CASE("a virtio-blk-device must name a drive and iothread given on the command line, and a valid bus",
          "[system][cli][virtio]")
{
    const std::vector<std::string> drive = {"-drive", "file=a.img,format=raw,id=d0"};
    auto with_drive = [&](std::vector<std::string> more) {
        more.insert(more.begin(), drive.begin(), drive.end());
        return more;
    };
    CHECK_THAT(refusal(with_drive({"-device", "virtio-blk-device"})), Catch::Contains("drive property not set"));
    CHECK_THAT(refusal(with_drive({"-device", "virtio-blk-device,drive=d9"})),
               Catch::Contains("-device virtio-blk-device,drive=d9: no -drive with id=d9"));
    CHECK_THAT(refusal(with_drive({"-device", "virtio-blk-device,drive=d0", "-device", "virtio-blk-device,drive=d0"})),
               Catch::Contains("drive 'd0' is already in use by another device"));
    CHECK_THAT(refusal(with_drive({"-device", "virtio-blk-device,drive=d0,iothread=io9"})),
               Catch::Contains("no -object iothread,id=io9"));
    CHECK_THAT(refusal(with_drive({"-device", "virtio-blk-device,drive=d0,bus=virtio-mmio-bus.8"})),
               Catch::Contains("bus=virtio-mmio-bus.8 (the virtio buses are virtio-mmio-bus.0 .. virtio-mmio-bus.7)"));
    CHECK_THAT(refusal(with_drive({"-device", "virtio-blk-device,drive=d0,bus=pcie.0"})), Catch::Contains("bus=pcie.0"));
    CHECK_THAT(refusal({"-drive", "file=a.img,if=virtio,id=d0", "-device", "virtio-blk-device,drive=d0"}),
               Catch::Contains("drive 'd0' is already in use"));
}
