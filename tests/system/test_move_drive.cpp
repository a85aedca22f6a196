// Machine::move_drive against hot-unplug: a drive whose device is gone (or never was), a device
// whose eject was requested, and any move while a surprise removal is under way are clear errors
// that change nothing; otherwise the drive and its device move. The machine is built but never
// run: its harts do not take the cross-vCPU flush, so a surprise removal stays under way.
#include <catch2/catch.hpp>

#include <fstream>

#include "devices/virtio_blk.h"
#include "loop/main_loop.h"
#include "system/machine.h"
#include "tests/devices/device_fixture.h"

using namespace locklab;
using namespace locklab::test;

namespace {

// A machine with drives d0, d1, d2 (raw images), IOThread io0, blk0 on d0 and blk1 on d1; d2 is free.
struct MoveFixture {
    MoveFixture()
    {
        std::ofstream(guest.path(), std::ios::binary) << std::string("\x6f\x00\x00\x00", 4);  // j .
        for (TempFile* f : {&img0, &img1, &img2}) std::ofstream(f->path(), std::ios::binary) << std::string(64 * 512, '\0');
        MachineConfig cfg;
        cfg.kernel = guest.path();
        cfg.raw_image = true;
        cfg.serial_in_fd = -1;
        cfg.serial_out = "/dev/null";
        cfg.iothreads = {"io0"};
        cfg.drives = {{"d0", img0.path(), "raw", false}, {"d1", img1.path(), "raw", false}, {"d2", img2.path(), "raw", false}};
        cfg.devices = {"virtio-blk-device,drive=d0,id=blk0", "virtio-blk-device,drive=d1,id=blk1"};
        machine = std::make_unique<Machine>(cfg);
    }
    AioContext& context_of(const char* id)
    {
        auto* blk = dynamic_cast<VirtioBlk*>(machine->hotplug().find(id));
        REQUIRE(blk);
        CHECK(&blk->backend().aio_context() == &blk->aio_context());  // the drive moves with its device
        return blk->aio_context();
    }

    TempFile guest, img0, img1, img2;
    std::unique_ptr<Machine> machine;
};

}  // namespace

TEST_CASE("move_drive moves a plugged device with its drive to an IOThread and back", "[system][virtio][move]")
{
    MoveFixture f;
    CHECK(&f.context_of("blk0") == &main_context());
    f.machine->move_drive("d0", "io0");
    CHECK(&f.context_of("blk0") != &main_context());
    f.machine->move_drive("d0", "main");
    CHECK(&f.context_of("blk0") == &main_context());
}

TEST_CASE("move_drive of an unknown drive, a free drive or to an unknown iothread is an error", "[system][virtio][move]")
{
    MoveFixture f;
    CHECK_THROWS_AS(f.machine->move_drive("d9", "io0"), HotplugError);
    CHECK_THROWS_WITH(f.machine->move_drive("d9", "io0"), Catch::Contains("no drive 'd9'"));
    // A free drive: never plugged, or its device was hot-unplugged (which frees the drive).
    CHECK_THROWS_WITH(f.machine->move_drive("d2", "io0"),
                      Catch::Contains("drive 'd2' serves no plugged device (never plugged, or unplugged)"));
    CHECK_THROWS_WITH(f.machine->move_drive("d0", "io9"), Catch::Contains("iothread 'io9' not found"));
    CHECK(&f.context_of("blk0") == &main_context());
}

TEST_CASE("move_drive refuses a device whose hot-unplug was requested, and changes nothing", "[system][virtio][move]")
{
    MoveFixture f;
    f.machine->hotplug().device_del("blk0", /*surprise=*/false);  // waits for the guest's eject
    CHECK_THROWS_AS(f.machine->move_drive("d0", "io0"), HotplugError);
    CHECK_THROWS_WITH(f.machine->move_drive("d0", "io0"), Catch::Contains("device 'blk0' is being hot-unplugged"));
    CHECK(&f.context_of("blk0") == &main_context());
    CHECK(f.machine->hotplug().find("blk0")->realized());
    f.machine->move_drive("d1", "io0");  // another device's drive still moves
    CHECK(&f.context_of("blk1") != &main_context());
}

TEST_CASE("move_drive refuses every move while a surprise hot-unplug is under way", "[system][virtio][move]")
{
    MoveFixture f;
    f.machine->hotplug().device_del("blk1", /*surprise=*/true);  // waits for the harts' flush
    REQUIRE(f.machine->hotplug().removals_pending() == 1);
    for (const char* drive : {"d0", "d1"})
        CHECK_THROWS_WITH(f.machine->move_drive(drive, "io0"), Catch::Contains("a surprise hot-unplug is under way"));
    CHECK(&f.context_of("blk0") == &main_context());
    CHECK(&f.context_of("blk1") == &main_context());
}
