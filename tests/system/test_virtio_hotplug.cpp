// Hot-plug of virtio-blk (system/hotplug.h with a VirtioBlkPlug): device_add puts the device into a
// virtio slot the hot-plug controller reports, device_del goes through the controller's eject
// handshake (or skips it: surprise), and a removal drains the device first, so requests in flight
// when it starts complete, none is lost, and the drive is free for a new device afterwards.
#include <catch2/catch.hpp>

#include <sstream>
#include <thread>

#include "devices/hotplug_controller.h"
#include "system/hotplug.h"
#include "system/hotplug_script.h"
#include "tests/system/virtio_blk_fixture.h"

using namespace locklab;
using namespace locklab::test;
using namespace std::chrono_literals;
using HC = HotplugController;

namespace {

struct VirtioHotplugFixture : PlugFixture {
    Mapped<HC> hc{as, virt::kHotplugBase, make_object<HC>(virt::kHotplugSize, IrqLine(&irq, 12))};
    std::unique_ptr<HotplugManager> mgr;
    bool removed = false;
    DeviceDelResult result;
    bool device_was_realized = true;

    VirtioHotplugFixture()
    {
        mgr = std::make_unique<HotplugManager>(as, main, &*hc, [](std::function<void()> done) { done(); });
        mgr->set_virtio_plug(plug.get());
    }
    ~VirtioHotplugFixture() { mgr.reset(); }  // before the plug and the transports
    std::string add(const char* spec, bool notify = true) { return mgr->device_add(parse_device_spec(spec), notify); }
    HotplugManager::DelDone on_removed()
    {
        return [this](const DeviceDelResult& r) {
            removed = true;
            result = r;
            device_was_realized = r.device->realized();
            result.device = nullptr;  // valid during the callback only
        };
    }
    uint32_t slot_reg(unsigned slot, hwaddr reg)
    {
        return uint32_t(read_reg(as, virt::kHotplugBase + HC::kSlotBase + HC::kSlotStride * slot + reg, 4));
    }
    void guest_eject(unsigned slot)
    {
        write_reg(as, virt::kHotplugBase + HC::kSlotBase + HC::kSlotStride * slot + HC::kCommand, 4, HC::kCommandEject);
    }
};

}  // namespace

TEST_CASE("device_add puts a virtio-blk device into a virtio slot the hot-plug controller reports",
          "[system][virtio][hotplug]")
{
    VirtioHotplugFixture f;
    CHECK(f.add("virtio-blk-device,drive=d0,id=blk1,iothread=io0") == "blk1");
    CHECK(dynamic_cast<VirtioBlk*>(f.mgr->find("blk1")) != nullptr);
    CHECK(f.slot_reg(1, HC::kStatus) == HC::kPresent);
    CHECK(f.slot_reg(1, HC::kType) == uint32_t(HC::SlotType::VirtioMmio));
    CHECK(f.slot_reg(1, HC::kSize) == VirtioMmio::kRegionSize);
    CHECK((f.hc->event_status() & (1u << 1)) != 0);  // hot-plugged: the guest gets an event
    CHECK(f.drives.user("d0") == "blk1");

    CHECK_THROWS_WITH(f.add("virtio-blk-device,drive=d0,id=blk2"), Catch::Contains("already in use by device 'blk1'"));
    CHECK_THROWS_WITH(f.add("virtio-blk-device,drive=d1,id=blk1"), Catch::Contains("id 'blk1' is already in use"));
    CHECK(f.plug->slot_free(0));
}

TEST_CASE("without a virtio plug, device_add refuses virtio-blk-device", "[system][virtio][hotplug]")
{
    AddressSpace as{"no-virtio"};
    AioContext ctx{"no-virtio"};
    ctx.attach_current_thread();
    HotplugManager mgr(as, ctx, nullptr, [](std::function<void()> done) { done(); });
    CHECK_THROWS_WITH(mgr.device_add(parse_device_spec("virtio-blk-device,drive=d0")),
                      Catch::Contains("this machine has no virtio slots"));
    main_context().attach_current_thread();
}

TEST_CASE("device_del of a virtio-blk device waits for the guest's eject, then unplugs it and frees its drive",
          "[system][virtio][hotplug]")
{
    VirtioHotplugFixture f;
    f.add("virtio-blk-device,drive=d0,id=blk1", false);
    f.mgr->device_del("blk1", false, f.on_removed());
    CHECK(f.slot_reg(1, HC::kStatus) == (HC::kPresent | HC::kEjectRequest));
    CHECK_FALSE(f.plug->slot_free(1));  // nothing happens until the guest ejects
    f.guest_eject(1);
    REQUIRE(wait_until([&] { return f.removed; }, &f.main));
    CHECK_FALSE(f.result.surprise);
    CHECK_FALSE(f.device_was_realized);
    CHECK(f.plug->slot_free(1));
    CHECK(f.slot_reg(1, HC::kStatus) == 0);
    CHECK(f.mgr->find("blk1") == nullptr);
    CHECK(f.drives.user("d0").empty());
    CHECK(read_reg(f.as, PlugFixture::slot_base(1) + VirtioMmio::kDeviceId, 4) == virtio::kIdNone);
}

TEST_CASE("a surprise hot-unplug of a virtio-blk device in an IOThread completes its requests in flight first",
          "[system][virtio][hotplug][iothread]")
{
    VirtioHotplugFixture f;
    f.add("virtio-blk-device,drive=d0,id=blk1,iothread=io0");
    {
        BlkGuest g = f.guest(1);
        g.init();
        f.gate->close();
        for (unsigned r = 0; r < 6; ++r) g.submit(r, true, r);
        g.notify();
        REQUIRE(wait_until([&] { return f.gate->waiting() > 0; }));  // io0 took them to the driver
        f.mgr->device_del("blk1", true, f.on_removed());
        std::jthread opener = open_gate_later(*f.gate);
        REQUIRE(wait_until([&] { return f.removed; }, &f.main));  // the removal drains: the gate opens
        CHECK(f.result.surprise);
        CHECK(g.used_idx() == 6);
        for (unsigned r = 0; r < 6; ++r) CHECK(g.status(r) == virtio_blk::kSOk);
        CHECK(f.drives.user("d0").empty());
        CHECK(&f.drives.find("d0")->aio_context() == &f.main);
    }
    // The drive serves a new device, which reads what the old one wrote.
    f.add("virtio-blk-device,drive=d0,id=blk2,bus=virtio-mmio-bus.0");
    BlkGuest g = f.guest(0);
    g.init();
    for (unsigned r = 0; r < 6; ++r) g.submit(r, false, r);
    g.notify();
    REQUIRE(wait_until([&] { return g.used_idx() == 6; }, &f.main));
    for (unsigned r = 0; r < 6; ++r) CHECK(g.data_is(r, r));
}

TEST_CASE("a hot-plug script adds and removes a virtio-blk device on a drive given at start-up",
          "[system][virtio][hotplug][script]")
{
    ManualVirtualClock clock;
    VirtioHotplugFixture f;
    std::istringstream text("0 add virtio-blk-device drive=d0 id=blk1 iothread=io0\n"
                            "5 del blk1 surprise\n"
                            "10 add virtio-blk-device,drive=d0,id=blk2,bus=virtio-mmio-bus.0\n");
    std::FILE* log = std::tmpfile();
    REQUIRE(log);
    HotplugScriptPlayer player(parse_hotplug_script(text, "virtio.script"), *f.mgr, f.main, log);
    player.start();
    REQUIRE(wait_until([&] { return player.actions_run() == 1; }, &f.main));
    CHECK(f.drives.user("d0") == "blk1");
    CHECK(f.mgr->find("blk1") != nullptr);
    CHECK_FALSE(f.plug->slot_free(1));

    clock.advance(5'000'000);
    f.main.notify();
    REQUIRE(wait_until([&] { return player.removals_completed() == 1; }, &f.main));
    CHECK(f.drives.user("d0").empty());
    CHECK(f.plug->slot_free(1));

    clock.advance(5'000'000);
    f.main.notify();
    REQUIRE(wait_until([&] { return player.actions_run() == 3; }, &f.main));
    CHECK(player.errors() == 0);
    CHECK(f.mgr->device_ids() == std::vector<std::string>{"blk2"});
    CHECK(f.drives.user("d0") == "blk2");
    CHECK_FALSE(f.plug->slot_free(0));
    std::fclose(log);
}
