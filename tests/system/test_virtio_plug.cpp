// VirtioBlkPlug (system/virtio_blk_plug.h) against real virtio-mmio transports, virtio-blk devices,
// drives and IOThreads: where a device lands, that its drive serves one device at a time and comes
// back free, and that moving a device between the main loop and an IOThread while its requests
// are in flight loses none of them (the drained section waits for them; requests queued during
// and after the move are served in the new context).
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "tests/system/virtio_blk_fixture.h"

using namespace locklab;
using namespace locklab::test;
using namespace std::chrono_literals;

TEST_CASE("a virtio-blk device lands in the highest free slot, on its drive, in its IOThread", "[system][virtio]")
{
    PlugFixture f;
    auto [slot, dev] = f.add("virtio-blk-device,drive=d0,iothread=io0");
    CHECK(slot == 1);  // QEMU's virt fills virtio-mmio-bus.7 first: the highest address
    CHECK(&dev->aio_context() == &f.io0());
    CHECK(&static_cast<VirtioBlk&>(*dev).backend().aio_context() == &f.io0());
    CHECK(f.drives.user("d0") == "blk0");
    CHECK(read_reg(f.as, PlugFixture::slot_base(1) + VirtioMmio::kDeviceId, 4) == virtio::kIdBlock);

    auto [slot2, dev2] = f.add("virtio-blk-device,drive=d1", "blk1");
    CHECK(slot2 == 0);
    CHECK(&dev2->aio_context() == &f.main);
}

TEST_CASE("a refused virtio-blk plug changes nothing", "[system][virtio]")
{
    PlugFixture f;
    f.add("virtio-blk-device,drive=d0,bus=virtio-mmio-bus.0");
    CHECK_THROWS_WITH(f.add("virtio-blk-device,drive=d0", "blk1"), Catch::Contains("already in use by device 'blk0'"));
    CHECK_THROWS_WITH(f.add("virtio-blk-device,drive=d1,bus=virtio-mmio-bus.0", "blk1"),
                      Catch::Contains("virtio-mmio-bus.0 already holds a device"));
    CHECK_THROWS_WITH(f.add("virtio-blk-device,drive=d1,iothread=io9", "blk1"), Catch::Contains("iothread 'io9' not found"));
    CHECK_THROWS_WITH(f.add("virtio-blk-device,drive=d1,num-queues=4", "blk1"), Catch::Contains("unknown property 'num-queues'"));
    CHECK_THROWS_WITH(f.add("virtio-blk-device,drive=d7", "blk1"), Catch::Contains("no drive 'd7'"));
    CHECK(f.plug->slot_free(1));
    CHECK(f.drives.user("d1").empty());
    f.add("virtio-blk-device,drive=d1", "blk1");
    CHECK_THROWS_WITH(f.add("virtio-blk-device,drive=d1", "blk2"), Catch::Contains("all 2 virtio-mmio slots hold a device"));
}

TEST_CASE("unplugging a virtio-blk device unrealizes it and gives its drive back to the main loop, free",
          "[system][virtio]")
{
    PlugFixture f;
    auto [slot, dev] = f.add("virtio-blk-device,drive=d0,iothread=io0");
    Ref<VirtioDevice> gone = f.plug->unplug(slot);
    CHECK(gone.get() == dev.get());
    CHECK_FALSE(gone->realized());
    CHECK(f.plug->slot_free(slot));
    CHECK(f.drives.user("d0").empty());
    CHECK(&f.drives.find("d0")->aio_context() == &f.main);
    CHECK(read_reg(f.as, PlugFixture::slot_base(slot) + VirtioMmio::kDeviceId, 4) == virtio::kIdNone);
    f.add("virtio-blk-device,drive=d0", "again");  // the drive can serve a new device
}

TEST_CASE("moving a virtio-blk drive between the main loop and an IOThread with requests in flight loses none",
          "[system][virtio][iothread]")
{
    PlugFixture f;
    auto [slot, dev] = f.add("virtio-blk-device,drive=d0");
    BlkGuest g = f.guest(slot);
    g.init();

    // Writes 0..7 are stuck in the driver when the move to io0 starts; the move's drained section
    // waits for them, so the gate opens from another thread a little later.
    f.gate->close();
    for (unsigned r = 0; r < 8; ++r) g.submit(r, true, r);
    g.notify();
    REQUIRE(wait_until([&] { return f.gate->waiting() > 0; }, &f.main));  // the ring side runs in main
    std::jthread opener = open_gate_later(*f.gate);
    f.plug->move_drive("d0", f.io0());  // returns once the gate opened and all 8 completed
    CHECK(g.used_idx() == 8);  // every request in flight completed before the move finished
    for (unsigned r = 0; r < 8; ++r) CHECK(g.status(r) == virtio_blk::kSOk);
    CHECK(&dev->aio_context() == &f.io0());
    CHECK(&static_cast<VirtioBlk&>(*dev).backend().aio_context() == &f.io0());

    // Served by the IOThread: this thread does not poll any loop while it waits.
    for (unsigned r = 8; r < 12; ++r) g.submit(r, false, r - 8);
    g.notify();
    REQUIRE(wait_until([&] { return g.used_idx() == 12; }));
    for (unsigned r = 8; r < 12; ++r) {
        CHECK(g.status(r) == virtio_blk::kSOk);
        CHECK(g.data_is(r, r - 8));
    }

    // And back to the main loop, again with requests stuck in the driver.
    f.gate->close();
    for (unsigned r = 12; r < 16; ++r) g.submit(r, true, r);
    g.notify();
    REQUIRE(wait_until([&] { return f.gate->waiting() > 0; }));  // io0 serves the ring
    std::jthread opener2 = open_gate_later(*f.gate);
    f.plug->move_drive("d0", f.main);
    // The drain finished what was in flight; requests io0 had not picked up yet when it began are
    // served by the main loop now (as in QEMU): none is lost, but they need the loop polled.
    REQUIRE(wait_until([&] { return g.used_idx() == 16; }, &f.main));
    CHECK(&dev->aio_context() == &f.main);
    for (unsigned r = 16; r < 20; ++r) g.submit(r, false, r - 4);
    g.notify();
    REQUIRE(wait_until([&] { return g.used_idx() == 20; }, &f.main));
    for (unsigned r = 16; r < 20; ++r) CHECK(g.data_is(r, r - 4));
}

TEST_CASE("a drained section that begins while a queue handler runs waits for it to take the whole ring",
          "[system][virtio][iothread]")
{
    PlugFixture f;
    auto [slot, dev] = f.add("virtio-blk-device,drive=d0,iothread=io0");
    BlkGuest g = f.guest(slot);
    g.init();

    // io0's handler pops request 0, tries it inline and is held there until the drained section
    // has begun. It must go on with requests 1..3 (had it stopped at the section, they would stay
    // in the ring with their kick consumed: a hot-unplug would drop them), and the section must
    // wait for all four.
    std::atomic<bool> held{false};
    f.disk0->set_nowait_hook([&, d = dev.get()] {
        if (held.exchange(true)) return;
        while (!d->quiesced()) std::this_thread::yield();
    });
    f.gate->close();
    for (unsigned r = 0; r < 4; ++r) g.submit(r, true, r);
    g.notify();
    REQUIRE(wait_until([&] { return held.load(); }));
    std::jthread opener = open_gate_later(*f.gate);
    dev->drained_begin();  // the gate opens 50 ms later
    CHECK(g.used_idx() == 4);
    for (unsigned r = 0; r < 4; ++r) CHECK(g.status(r) == virtio_blk::kSOk);
    dev->drained_end();
    // And the device goes on serving after the section.
    g.submit(4, false, 0);
    g.notify();
    REQUIRE(wait_until([&] { return g.used_idx() == 5; }));
    CHECK(g.data_is(4, 0));
    f.disk0->set_nowait_hook({});
}

TEST_CASE("moving a drive no virtio-blk device uses is an error", "[system][virtio]")
{
    PlugFixture f;
    CHECK_THROWS_WITH(f.plug->move_drive("d0", f.io0()), Catch::Contains("drive 'd0' is not used by a virtio-blk device"));
    CHECK_THROWS_WITH(f.plug->context("io9"), Catch::Contains("iothread 'io9' not found"));
    CHECK(&f.plug->context("main") == &f.main);
}

TEST_CASE("requests keep completing while a drive moves back and forth between the main loop and an IOThread",
          "[system][virtio][iothread]")
{
    PlugFixture f;
    auto [slot, dev] = f.add("virtio-blk-device,drive=d0");
    BlkGuest g = f.guest(slot);
    g.init();
    constexpr unsigned kRequests = 300, kWindow = 8, kSectors = 64;

    // A vCPU writes request r's pattern to sector r % kSectors, at most kWindow outstanding, and
    // checks each request's status before its slot is reused. Half-way it waits (with requests
    // outstanding) until the drive has moved there and back at least once: requests that complete
    // inline (aio=nowait) can finish all 300 within one of the main loop's 2 ms serving slices.
    std::atomic<bool> vcpu_done{false};
    std::atomic<unsigned> moves{0};
    std::atomic<unsigned> bad_status{0}, failed_notifies{0};
    std::atomic<bool> stuck{false};
    std::thread vcpu([&] {
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        auto wait_used = [&](unsigned n) {
            while (g.used_idx() < n)
                if (std::chrono::steady_clock::now() > deadline) return false;
                else std::this_thread::yield();
            return true;
        };
        for (unsigned r = 0; r < kRequests && !stuck; ++r) {
            if (r == kRequests / 2)
                while (moves < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
            if (r >= kWindow && !wait_used(r - kWindow + 1)) stuck = true;
            if (r >= BlkGuest::kSlots && g.status(r - BlkGuest::kSlots) != virtio_blk::kSOk) ++bad_status;
            g.submit(r, true, r % kSectors);
            if (!g.notify()) ++failed_notifies;
        }
        if (!wait_used(kRequests)) stuck = true;
        vcpu_done = true;
    });

    // Meanwhile this thread (the main loop's) moves the drive to io0 and back, serving the main
    // loop between moves.
    while (!vcpu_done) {
        f.plug->move_drive("d0", moves % 2 == 0 ? f.io0() : f.main);
        ++moves;
        const auto serve_until = std::chrono::steady_clock::now() + 2ms;
        while (!vcpu_done && std::chrono::steady_clock::now() < serve_until)
            if (!f.main.poll(false)) std::this_thread::sleep_for(100us);
    }
    vcpu.join();
    CHECK_FALSE(stuck);
    CHECK(bad_status == 0);
    CHECK(failed_notifies == 0);
    CHECK(g.used_idx() == kRequests);
    const std::vector<uint8_t> disk = f.disk0->contents();
    for (unsigned k = 0; k < kSectors; ++k) {
        const unsigned last = k + kSectors * ((kRequests - 1 - k) / kSectors);  // the last request to write k
        INFO("sector " << k << " last written by request " << last);
        CHECK(std::all_of(disk.begin() + k * kSector, disk.begin() + (k + 1) * kSector,
                          [&](uint8_t b) { return b == BlkGuest::pattern(last); }));
    }
    INFO("moves: " << moves);
    CHECK(moves >= 2);  // at least there and back again
}
