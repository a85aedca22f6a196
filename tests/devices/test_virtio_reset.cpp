// A driver's reset while requests are in flight, and where the ring side runs under the BQL:
//   - Status keeps its old, non-zero value until every request from before the reset completed
//     (the virtio 1.x rule "wait until a read of device_status returns 0" then protects the
//     driver from late writes into its buffers); with nothing in flight it reads 0 at once;
//   - a device in the main loop processes its rings and completions under the BQL (QEMU's main
//     loop), a device in an IOThread without it; requests that completed together are returned
//     together (one interrupt for the batch).
// The backend is an in-memory disk whose gate holds requests in the driver (a slow disk).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "devices/virtio_blk.h"
#include "locking/bql.h"
#include "loop/iothread.h"
#include "tests/devices/test_virtio_driver.h"

using namespace locklab;
using namespace locklab::test;
using namespace locklab::virtio;
using namespace locklab::virtio_blk;
using M = VirtioMmio;

namespace {

constexpr uint64_t kDiskSize = 64 * 1024;
constexpr hwaddr kHeader = GuestDriver::kData, kBuf = GuestDriver::kData + 0x1000, kStatusByte = GuestDriver::kData + 0x8000;
constexpr uint32_t kLen = 512;

// A virtio-blk device on a gated MemoryDisk, plugged into the rig's transport, in `ctx`.
struct SlowDisk {
    SlowDisk(bool legacy, AioContext& ctx) : rig(legacy), guest(rig, legacy)
    {
        auto driver = std::make_unique<MemoryDisk>(kDiskSize);
        disk = driver.get();
        blk = make_object<VirtioBlk>(std::make_shared<BlockBackend>("d0", std::move(driver), ctx), rig.as);
        rig.mmio().plug(Ref<VirtioDevice>(blk.get()));
    }
    // Makes a read of sector 0 into kBuf available; kicks through the transport, or (`kick` false)
    // not at all: the caller kicks the device directly.
    void make_read_available(bool kick = true)
    {
        const uint32_t type = kTIn;
        const uint64_t sector = 0;
        std::memset(rig.host(kHeader), 0, 16);
        std::memcpy(rig.host(kHeader), &type, 4);
        std::memcpy(rig.host(kHeader + 8), &sector, 8);
        std::memset(rig.host(kBuf), 0xaa, kLen);
        *rig.host(kStatusByte) = 0xff;
        guest.submit({{kHeader, 16, false}, {kBuf, kLen, true}, {kStatusByte, 1, true}}, 0, kick);
    }
    bool buffer_is(uint8_t byte)
    {
        for (uint32_t i = 0; i < kLen; ++i)
            if (*rig.host(kBuf + i) != byte) return false;
        return true;
    }

    VirtioRig rig;
    GuestDriver guest;
    MemoryDisk* disk = nullptr;
    Ref<VirtioBlk> blk;
};

// Waits without polling any loop (the work must happen on another thread).
bool wait_elsewhere(const std::function<bool()>& cond)
{
    for (int i = 0; i < 5000 && !cond(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return cond();
}

// Another thread holds the BQL from construction until `hold` later (or until release());
// `released` is set just before it lets go.
class BqlHolder {
public:
    explicit BqlHolder(std::chrono::milliseconds hold)
        : thread_([this, hold] {
              bql_lock();
              held_.store(true);
              const auto until = std::chrono::steady_clock::now() + hold;
              while (!stop_.load() && std::chrono::steady_clock::now() < until)
                  std::this_thread::sleep_for(std::chrono::milliseconds(1));
              released_.store(true);
              bql_unlock();
          })
    {
        while (!held_.load()) std::this_thread::yield();
    }
    ~BqlHolder()
    {
        stop_.store(true);
        thread_.join();
    }
    bool released() const { return released_.load(); }

private:
    std::atomic<bool> held_{false}, released_{false}, stop_{false};
    std::thread thread_;
};

}  // namespace

TEST_CASE("After status 0 with a read in flight, Status reads its old value until the read completed, then 0",
          "[virtio][reset]")
{
    IOThread io("io-reset-status");
    const bool legacy = GENERATE(false, true);
    const bool in_iothread = GENERATE(false, true);
    CAPTURE(legacy, in_iothread);
    SlowDisk d(legacy, in_iothread ? io.context() : main_context());
    const uint32_t live = d.guest.init();
    REQUIRE(live & kStatusDriverOk);
    d.disk->fill(0, std::vector<uint8_t>(kLen, 0x5c));
    d.disk->gate.close();
    d.make_read_available();
    REQUIRE(poll_until(main_context(), [&] { return d.disk->gate.waiting() == 1; }));

    d.rig.set(M::kStatus, 0);  // returns at once: the read is held in the driver
    CHECK(d.rig.reg(M::kStatus) == live);
    d.rig.set(M::kStatus, 0);  // a second reset while the first waits changes nothing
    poll_ready(main_context());
    CHECK(d.rig.reg(M::kStatus) == live);
    CHECK(d.buffer_is(0xaa));

    d.disk->gate.open();
    REQUIRE(poll_until(main_context(), [&] { return d.rig.reg(M::kStatus) == 0; }));
    // Once Status reads 0 the request has ended: its data is where it will stay, and it never
    // reached the rings the driver is about to set up again.
    CHECK(d.blk->in_flight() == 0);
    CHECK(d.buffer_is(0x5c));
    CHECK(d.guest.used_idx() == 0);
    CHECK(d.rig.reg(M::kInterruptStatus) == 0);

    REQUIRE(d.guest.init() & kStatusDriverOk);  // the device works again after the reset
    d.make_read_available();
    REQUIRE(d.guest.wait_used(1));
    CHECK(*d.rig.host(kStatusByte) == kSOk);
}

TEST_CASE("A reset with nothing in flight reads Status 0 at once, before the device side ran", "[virtio][reset]")
{
    const bool legacy = GENERATE(false, true);
    SlowDisk d(legacy, main_context());
    REQUIRE(d.guest.init() & kStatusDriverOk);
    poll_ready(main_context());
    d.rig.set(M::kStatus, 0);
    CHECK_FALSE(d.blk->idle());  // the reset command is still queued (nobody polled the main loop)
    CHECK(d.rig.reg(M::kStatus) == 0);
}

TEST_CASE("A request made available before a reset the device had not yet applied is never started",
          "[virtio][reset]")
{
    SlowDisk d(false, main_context());
    REQUIRE(d.guest.init() & kStatusDriverOk);
    poll_ready(main_context());
    d.make_read_available();   // kicked, but the ring side has not run yet
    d.rig.set(M::kStatus, 0);  // Status reads 0: so nothing may touch the buffer afterwards
    CHECK(d.rig.reg(M::kStatus) == 0);
    poll_ready(main_context());
    CHECK(d.blk->idle());
    CHECK(d.buffer_is(0xaa));
    CHECK(*d.rig.host(kStatusByte) == 0xff);
    CHECK(d.guest.used_idx() == 0);
}

TEST_CASE("virtio in the main loop pops and completes requests under the BQL", "[virtio][bql]")
{
    SlowDisk d(false, main_context());
    REQUIRE(d.guest.init() & kStatusDriverOk);
    poll_ready(main_context());
    d.disk->fill(0, std::vector<uint8_t>(kLen, 0x11));
    const auto hold = std::chrono::milliseconds(100);

    SECTION("the ring side waits for the BQL before it pops")
    {
        d.make_read_available(false);
        BqlHolder holder(hold);
        d.blk->kick(0);  // no MMIO: under the global lock model that would wait for the BQL too
        REQUIRE(d.guest.wait_used(1));
        CHECK(holder.released());
    }
    SECTION("the completion waits for the BQL before it writes status and used ring")
    {
        d.disk->gate.close();
        d.make_read_available();
        REQUIRE(poll_until(main_context(), [&] { return d.disk->gate.waiting() == 1; }));
        BqlHolder holder(hold);
        d.disk->gate.open();
        REQUIRE(d.guest.wait_used(1));
        CHECK(holder.released());
    }
    CHECK(*d.rig.host(kStatusByte) == kSOk);
    CHECK(d.buffer_is(0x11));
}

TEST_CASE("virtio in an IOThread pops and completes requests while another thread holds the BQL", "[virtio][bql]")
{
    IOThread io("io-no-bql");
    SlowDisk d(false, io.context());
    REQUIRE(d.guest.init() & kStatusDriverOk);
    REQUIRE(wait_elsewhere([&] { return d.blk->idle(); }));
    d.disk->fill(0, std::vector<uint8_t>(kLen, 0x22));
    d.make_read_available(false);
    {
        BqlHolder holder(std::chrono::seconds(5));  // let go when the block ends
        d.blk->kick(0);
        CHECK(wait_elsewhere([&] { return d.guest.used_idx() == 1; }));
        CHECK_FALSE(holder.released());
    }
    CHECK(*d.rig.host(kStatusByte) == kSOk);
    CHECK(d.buffer_is(0x22));
}

TEST_CASE("Requests that completed together are returned in one batch with one interrupt", "[virtio][bql]")
{
    // Four reads made available at once and kicked once: the handler pops all four, the page
    // cache path (aio=nowait, gate open) completes each in the handler, so all four completions
    // are queued before the main loop runs any; they reach the used ring in one batch.
    SlowDisk d(false, main_context());
    REQUIRE(d.guest.init() & kStatusDriverOk);
    poll_ready(main_context());
    for (uint32_t i = 0; i < 4; ++i) d.disk->fill(i * kLen, std::vector<uint8_t>(kLen, uint8_t(0x30 + i)));
    auto header = [](uint32_t i) { return kHeader + 16 * i; };
    auto buffer = [](uint32_t i) { return kBuf + kLen * i; };
    auto status = [](uint32_t i) { return kStatusByte + i; };
    for (uint32_t i = 0; i < 4; ++i) {
        const uint32_t type = kTIn;
        const uint64_t sector = i;
        std::memset(d.rig.host(header(i)), 0, 16);
        std::memcpy(d.rig.host(header(i)), &type, 4);
        std::memcpy(d.rig.host(header(i) + 8), &sector, 8);
        *d.rig.host(status(i)) = 0xff;
        d.guest.submit({{header(i), 16, false}, {buffer(i), kLen, true}, {status(i), 1, true}}, uint16_t(3 * i), false);
    }
    const int raises_before = d.rig.irq.raises(1);
    d.rig.set(M::kQueueNotify, 0);
    REQUIRE(d.guest.wait_used(4));
    poll_ready(main_context());
    CHECK(d.guest.used_idx() == 4);
    CHECK(d.rig.irq.raises(1) - raises_before == 1);  // one per request before batching
    for (uint32_t i = 0; i < 4; ++i) {
        CHECK(*d.rig.host(status(i)) == kSOk);
        CHECK(*d.rig.host(buffer(i)) == 0x30 + i);
        CHECK(*d.rig.host(buffer(i) + kLen - 1) == 0x30 + i);
    }
}
