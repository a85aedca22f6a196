// Drives at start-up (system/drives.h, Machine): every -drive is opened before the guest runs, and
// an image that cannot be opened, or a virtio-blk-device the board cannot take, ends start-up with
// an error naming the option, not a half-built machine.
#include <catch2/catch.hpp>

#include <fstream>

#include "loop/main_loop.h"
#include "system/drives.h"
#include "system/machine.h"
#include "tests/devices/device_fixture.h"

using namespace locklab;
using namespace locklab::test;

namespace {

// A raw image of `bytes` zero bytes.
void make_raw(const std::string& path, size_t bytes)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << std::string(bytes, '\0');
}

MachineConfig machine_without_guest()
{
    MachineConfig cfg;
    cfg.kernel = "/nonexistent/guest.elf";  // drives and devices are checked before the image loads
    cfg.serial_in_fd = -1;
    cfg.serial_out = "/dev/null";
    return cfg;
}

}  // namespace

TEST_CASE("drives open at start-up with the format and aio mode asked for, or probed", "[system][virtio][drives]")
{
    TempFile img;
    make_raw(img.path(), 64 * 512);
    DriveRegistry drives({{"d0", img.path(), "raw", true}, {"d1", img.path(), "", false, AioMode::Threads}},
                         main_context());
    CHECK(drives.ids() == std::vector<std::string>{"d0", "d1"});
    REQUIRE(drives.find("d0"));
    CHECK(drives.find("d0")->driver().read_only());
    CHECK(drives.find("d0")->aio_mode() == AioMode::Nowait);  // -drive aio=, the default
    CHECK(drives.find("d1")->aio_mode() == AioMode::Threads);
    CHECK(drives.find("d0")->length() == 64 * 512);
    CHECK(std::string(drives.find("d1")->driver().format_name()) == "raw");  // probed: no qcow2 magic
    CHECK(drives.find("d9") == nullptr);
    CHECK(drives.user("d0").empty());
}

TEST_CASE("a drive that cannot be opened is an error naming the drive and its file", "[system][virtio][drives]")
{
    TempFile img;
    make_raw(img.path(), 64 * 512);
    CHECK_THROWS_WITH(DriveRegistry({{"d0", "/nonexistent/disk.img", "raw", false}}, main_context()),
                      Catch::Contains("-drive id=d0 (file=/nonexistent/disk.img):"));
    CHECK_THROWS_WITH(DriveRegistry({{"d1", img.path(), "qcow2", false}}, main_context()),
                      Catch::Contains("-drive id=d1 (file=" + img.path() + "):"));
}

TEST_CASE("the machine refuses a drive it cannot open and a virtio slot given twice before the guest runs",
          "[system][virtio][drives]")
{
    TempFile a, b;
    make_raw(a.path(), 64 * 512);
    make_raw(b.path(), 64 * 512);
    SECTION("missing image")
    {
        MachineConfig cfg = machine_without_guest();
        cfg.drives = {{"d0", "/nonexistent/disk.img", "raw", false}};
        CHECK_THROWS_WITH(Machine(cfg), Catch::Contains("-drive id=d0 (file=/nonexistent/disk.img)"));
    }
    SECTION("two devices on one bus")
    {
        MachineConfig cfg = machine_without_guest();
        cfg.drives = {{"d0", a.path(), "raw", false}, {"d1", b.path(), "raw", false}};
        cfg.devices = {"virtio-blk-device,drive=d0,bus=virtio-mmio-bus.3", "virtio-blk-device,drive=d1,bus=virtio-mmio-bus.3"};
        CHECK_THROWS_WITH(Machine(cfg), Catch::Contains("-device virtio-blk-device,drive=d1,bus=virtio-mmio-bus.3: "
                                                        "virtio-mmio-bus.3 already holds a device"));
    }
    SECTION("an iothread id the IOThread registry refuses")
    {
        MachineConfig cfg = machine_without_guest();
        cfg.iothreads = {"io0", "io0"};
        CHECK_THROWS_WITH(Machine(cfg), Catch::Contains("-object iothread,id=io0:"));
    }
}
