// virtio-blk through the transport, as a guest drives it: every request type against an in-memory
// disk, placement in an IOThread (the QueueNotify write returns at once and the IOThread does the
// work), a status-0 reset and an unplug with requests in flight, and moves between AioContexts.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "devices/virtio_blk.h"
#include "loop/iothread.h"
#include "tests/devices/test_virtio_driver.h"

using namespace locklab;
using namespace locklab::test;
using namespace locklab::virtio;
using namespace locklab::virtio_blk;
using M = VirtioMmio;

namespace {

constexpr uint64_t kDiskSize = 64 * 1024;
constexpr hwaddr kHeader = GuestDriver::kData, kBuf = GuestDriver::kData + 0x1000, kStatus = GuestDriver::kData + 0x8000;

struct BlkBench {
    // On a 64 KiB MemoryDisk.
    explicit BlkBench(bool legacy, AioContext& ctx = main_context(), bool read_only = false, bool zeroing = true,
                      VirtioBlkConfig cfg = {}, bool ioeventfd = true)
        : BlkBench(legacy, std::make_unique<MemoryDisk>(kDiskSize, read_only, zeroing), ctx, cfg, ioeventfd)
    {
    }
    // On any driver (`disk` is set only for a MemoryDisk).
    BlkBench(bool legacy, std::unique_ptr<BlockDriver> driver, AioContext& ctx = main_context(), VirtioBlkConfig cfg = {},
             bool ioeventfd = true)
        : rig(legacy, ioeventfd), guest(rig, legacy)
    {
        disk = dynamic_cast<MemoryDisk*>(driver.get());
        backend = std::make_shared<BlockBackend>("d0", std::move(driver), ctx);
        blk = make_object<VirtioBlk>(backend, rig.as, cfg);
        rig.mmio().plug(Ref<VirtioDevice>(blk.get()));
    }
    // One read held in the driver (the gate closed until `release_after` on another thread).
    std::thread hold_read_in_flight(std::chrono::milliseconds release_after)
    {
        disk->gate.close();
        submit(kTIn, 0, 512, true);
        REQUIRE(poll_until(main_context(), [&] { return disk->gate.waiting() == 1; }));
        return std::thread([this, release_after] {
            std::this_thread::sleep_for(release_after);
            disk->gate.open();
        });
    }
    // Submits one request (header, optional data, status) without waiting.
    void submit(uint32_t type, uint64_t sector, uint32_t data_len, bool device_writes_data)
    {
        uint8_t header[16] = {};
        std::memcpy(header, &type, 4);
        std::memcpy(header + 8, &sector, 8);
        std::memcpy(rig.host(kHeader), header, 16);
        *rig.host(kStatus) = 0xff;
        std::vector<GuestDriver::Buffer> bufs{{kHeader, 16, false}};
        if (data_len) bufs.push_back({kBuf, data_len, device_writes_data});
        bufs.push_back({kStatus, 1, true});
        guest.submit(bufs);
    }
    // Submits and waits for the used ring; returns the status byte.
    uint8_t request(uint32_t type, uint64_t sector, uint32_t data_len, bool device_writes_data)
    {
        const uint16_t before = guest.used_idx();
        submit(type, sector, data_len, device_writes_data);
        REQUIRE(guest.wait_used(uint16_t(before + 1)));
        return *rig.host(kStatus);
    }
    void segment(uint64_t sector, uint32_t sectors, uint32_t flags)
    {
        std::memcpy(rig.host(kBuf), &sector, 8);
        std::memcpy(rig.host(kBuf + 8), &sectors, 4);
        std::memcpy(rig.host(kBuf + 12), &flags, 4);
    }
    uint64_t features()
    {
        rig.set(M::kDeviceFeaturesSel, 0);
        return rig.reg(M::kDeviceFeatures);
    }

    VirtioRig rig;
    GuestDriver guest;
    MemoryDisk* disk = nullptr;
    std::shared_ptr<BlockBackend> backend;
    Ref<VirtioBlk> blk;
};

std::vector<uint8_t> pattern(size_t n, uint8_t seed)
{
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = uint8_t(seed + i * 7);
    return v;
}

// Waits (without polling any loop: the work must happen on another thread) for `cond`.
bool wait_elsewhere(const std::function<bool()>& cond)
{
    for (int i = 0; i < 5000 && !cond(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return cond();
}

}  // namespace

TEST_CASE("virtio-blk reads and writes sectors, in both transport versions", "[virtio][blk]")
{
    const bool legacy = GENERATE(true, false);
    BlkBench b(legacy);
    REQUIRE(b.guest.init() & kStatusDriverOk);
    const auto disk_data = pattern(1024, 3);
    b.disk->fill(2 * 512, disk_data);
    CHECK(b.request(kTIn, 2, 1024, true) == kSOk);
    CHECK(std::memcmp(b.rig.host(kBuf), disk_data.data(), 1024) == 0);
    CHECK(b.guest.used_len(0) == 1025);  // data and status

    const auto guest_data = pattern(1536, 99);
    std::memcpy(b.rig.host(kBuf), guest_data.data(), guest_data.size());
    CHECK(b.request(kTOut, 10, 1536, false) == kSOk);
    const auto on_disk = b.disk->contents();
    CHECK(std::equal(guest_data.begin(), guest_data.end(), on_disk.begin() + 10 * 512));
}

TEST_CASE("virtio-blk accepts a header that shares its descriptor with the data", "[virtio][blk]")
{
    BlkBench b(false);
    REQUIRE(b.guest.init() & kStatusDriverOk);
    b.disk->fill(0, pattern(512, 5));
    const uint32_t type = kTIn;
    const uint64_t sector = 0;
    std::memcpy(b.rig.host(kHeader), &type, 4);
    std::memcpy(b.rig.host(kHeader + 8), &sector, 8);
    // One writable descriptor holds the data and the status byte.
    b.guest.submit({{kHeader, 16, false}, {kBuf, 513, true}});
    REQUIRE(b.guest.wait_used(1));
    CHECK(b.rig.host(kBuf)[512] == kSOk);
    CHECK(std::memcmp(b.rig.host(kBuf), pattern(512, 5).data(), 512) == 0);
}

TEST_CASE("virtio-blk flush reaches the driver", "[virtio][blk]")
{
    BlkBench b(true);
    REQUIRE(b.guest.init() & kStatusDriverOk);
    CHECK(b.features() & feature(kFFlush));
    CHECK(b.request(kTFlush, 0, 0, false) == kSOk);
    CHECK(b.disk->flushes() == 1);
}

TEST_CASE("virtio-blk GET_ID answers the serial property, else the drive id, in 20 bytes", "[virtio][blk]")
{
    SECTION("drive id")
    {
        BlkBench b(false);
        REQUIRE(b.guest.init() & kStatusDriverOk);
        std::memset(b.rig.host(kBuf), 'x', 32);
        CHECK(b.request(kTGetId, 0, 32, true) == kSOk);
        CHECK(std::string(reinterpret_cast<char*>(b.rig.host(kBuf))) == "d0");
        CHECK(b.rig.host(kBuf)[20] == 'x');  // nothing beyond VIRTIO_BLK_ID_BYTES
    }
    SECTION("serial property, cut to 20 bytes")
    {
        VirtioBlkConfig cfg;
        cfg.serial = "0123456789abcdefghijKLMN";
        BlkBench b(false, main_context(), false, true, cfg);
        REQUIRE(b.guest.init() & kStatusDriverOk);
        CHECK(b.request(kTGetId, 0, 20, true) == kSOk);
        CHECK(std::string(reinterpret_cast<char*>(b.rig.host(kBuf)), 20) == "0123456789abcdefghij");
    }
}

TEST_CASE("virtio-blk completes bad requests with IOERR or UNSUPP and keeps working", "[virtio][blk]")
{
    BlkBench b(GENERATE(true, false));
    REQUIRE(b.guest.init() & kStatusDriverOk);
    CHECK(b.request(kTIn, kDiskSize / 512, 512, true) == kSIoErr);      // past the end
    CHECK(b.request(kTIn, kDiskSize / 512 - 1, 1024, true) == kSIoErr);  // straddles the end
    CHECK(b.request(kTOut, ~uint64_t(0) / 256, 512, false) == kSIoErr);  // offset overflows
    CHECK(b.request(kTIn, 0, 100, true) == kSIoErr);                     // not whole sectors
    CHECK(b.request(2 /* SCSI_CMD */, 0, 0, false) == kSUnsupp);
    CHECK(b.request(0x7777, 0, 0, false) == kSUnsupp);
    CHECK(b.request(kTIn, 0, 512, true) == kSOk);
    CHECK_FALSE(b.rig.reg(M::kStatus) & kStatusNeedsReset);
}

TEST_CASE("virtio-blk on a read-only drive offers RO and fails writes with IOERR", "[virtio][blk]")
{
    BlkBench b(false, main_context(), true);
    REQUIRE(b.guest.init() & kStatusDriverOk);
    CHECK(b.features() & feature(kFRo));
    CHECK_FALSE(b.features() & feature(kFDiscard));
    CHECK(b.request(kTOut, 0, 512, false) == kSIoErr);
    CHECK(b.request(kTIn, 0, 512, true) == kSOk);
}

TEST_CASE("virtio-blk discards and writes zeroes when the driver can, UNSUPP when it cannot", "[virtio][blk]")
{
    SECTION("supported")
    {
        BlkBench b(false);
        REQUIRE(b.guest.init(feature(kFDiscard) | feature(kFWriteZeroes)) & kStatusDriverOk);
        CHECK(b.features() & feature(kFDiscard));
        CHECK(b.features() & feature(kFWriteZeroes));
        b.disk->fill(0, pattern(4096, 1));
        b.segment(1, 2, 0);
        CHECK(b.request(kTWriteZeroes, 0, 16, false) == kSOk);
        auto d = b.disk->contents();
        CHECK(d[511] != 0);
        CHECK(std::all_of(d.begin() + 512, d.begin() + 1536, [](uint8_t x) { return x == 0; }));
        CHECK(d[1536] != 0);
        b.segment(4, 1, 0);
        CHECK(b.request(kTDiscard, 0, 16, false) == kSOk);
        b.segment(4, 1, 1);  // unmap flag on a discard
        CHECK(b.request(kTDiscard, 0, 16, false) == kSUnsupp);
        b.segment(kDiskSize / 512, 1, 0);
        CHECK(b.request(kTWriteZeroes, 0, 16, false) == kSIoErr);
    }
    SECTION("not supported by the driver")
    {
        BlkBench b(false, main_context(), false, false);
        REQUIRE(b.guest.init() & kStatusDriverOk);
        CHECK_FALSE(b.features() & feature(kFDiscard));
        b.segment(0, 1, 0);
        CHECK(b.request(kTDiscard, 0, 16, false) == kSUnsupp);
    }
}

TEST_CASE("virtio-blk marks itself broken for a request without a header or a status byte", "[virtio][blk]")
{
    BlkBench b(false);
    REQUIRE(b.guest.init() & kStatusDriverOk);
    b.guest.submit({{kHeader, 8, false}, {kStatus, 1, true}});  // short header
    REQUIRE(poll_until(main_context(), [&] { return (b.rig.reg(M::kStatus) & kStatusNeedsReset) != 0; }));
    CHECK(b.rig.reg(M::kInterruptStatus) & kIsrConfigChange);
    CHECK(b.guest.used_idx() == 0);
    CHECK(b.blk->in_flight() == 0);
}

TEST_CASE("virtio-blk in an IOThread: QueueNotify returns at once and the IOThread serves the request", "[virtio][blk][iothread]")
{
    IOThread io("io0");
    BlkBench b(false, io.context());
    REQUIRE(b.guest.init() & kStatusDriverOk);
    REQUIRE(wait_elsewhere([&] { return b.blk->idle(); }));
    b.disk->fill(0, pattern(512, 42));
    b.disk->gate.close();
    b.submit(kTIn, 0, 512, true);  // the QueueNotify write returned with the request not served
    CHECK(b.guest.used_idx() == 0);
    REQUIRE(wait_elsewhere([&] { return b.disk->gate.waiting() == 1; }));
    b.disk->gate.open();
    REQUIRE(wait_elsewhere([&] { return b.guest.used_idx() == 1; }));  // nobody polled the main loop
    CHECK(*b.rig.host(kStatus) == kSOk);
    CHECK(std::memcmp(b.rig.host(kBuf), pattern(512, 42).data(), 512) == 0);
    CHECK(wait_elsewhere([&] { return b.rig.irq.level(1); }));
}

TEST_CASE("virtio-blk in the main loop without ioeventfd: the QueueNotify writer starts the request itself", "[virtio][blk]")
{
    // QEMU under TCG has no ioeventfd for virtio-mmio: the vCPU's QueueNotify runs the queue handler
    // under the BQL. With ioeventfd the kick only signals the main loop, which nobody polls here.
    const bool ioeventfd = GENERATE(false, true);
    INFO("ioeventfd " << ioeventfd);
    BlkBench b(false, main_context(), false, true, {}, ioeventfd);
    REQUIRE(b.guest.init() & kStatusDriverOk);
    REQUIRE(poll_until(main_context(), [&] { return b.blk->idle(); }));
    b.disk->fill(0, pattern(512, 9));
    b.disk->gate.close();
    b.submit(kTIn, 0, 512, true);
    // The driver call happens on a block worker: it is reached only if the kick was handled.
    CHECK(wait_elsewhere([&] { return b.disk->gate.waiting() == 1; }) == !ioeventfd);
    b.disk->gate.open();
    REQUIRE(b.guest.wait_used(1));  // the completion runs in the main loop either way
    CHECK(*b.rig.host(kStatus) == kSOk);
    CHECK(std::memcmp(b.rig.host(kBuf), pattern(512, 9).data(), 512) == 0);
    CHECK(b.rig.irq.level(1));
}

TEST_CASE("A vCPU writing status 0 with requests in flight neither deadlocks nor loses the device", "[virtio][blk][reset]")
{
    IOThread io("io-reset");
    const bool in_iothread = GENERATE(false, true);
    BlkBench b(false, in_iothread ? io.context() : main_context());
    REQUIRE(b.guest.init() & kStatusDriverOk);
    b.disk->gate.close();
    b.submit(kTIn, 0, 512, true);
    REQUIRE(poll_until(main_context(), [&] { return b.disk->gate.waiting() == 1; }));
    CHECK(b.blk->in_flight() == 1);

    b.rig.set(M::kStatus, 0);  // returns although the request is still held in the driver
    CHECK(b.rig.reg(M::kStatus) != 0);  // until the request completed (test_virtio_reset.cpp)
    poll_ready(main_context());
    CHECK_FALSE(b.blk->idle());  // the reset waits for the request, without blocking anyone

    b.disk->gate.open();
    REQUIRE(poll_until(main_context(), [&] { return b.blk->idle() && b.blk->in_flight() == 0; }));
    CHECK(b.guest.used_idx() == 0);  // the request from before the reset left the rings alone
    CHECK(b.rig.reg(M::kInterruptStatus) == 0);
    CHECK_FALSE(b.rig.irq.level(1));
    REQUIRE(b.guest.init() & kStatusDriverOk);
    b.disk->fill(0, pattern(512, 9));
    CHECK(b.request(kTIn, 0, 512, true) == kSOk);
    CHECK(std::memcmp(b.rig.host(kBuf), pattern(512, 9).data(), 512) == 0);
}

TEST_CASE("Unplugging virtio-blk with a request in flight completes it first, then the slot is empty", "[virtio][blk][unplug]")
{
    IOThread io("io-unplug");
    const bool in_iothread = GENERATE(false, true);
    const bool ioeventfd = GENERATE(false, true);
    BlkBench b(true, in_iothread ? io.context() : main_context(), false, true, {}, ioeventfd);
    REQUIRE(b.guest.init() & kStatusDriverOk);
    std::thread opener = b.hold_read_in_flight(std::chrono::milliseconds(50));
    Ref<VirtioDevice> gone = b.rig.mmio().unplug();  // drains: waits for the request
    opener.join();
    REQUIRE(gone);
    CHECK(gone->in_flight() == 0);
    CHECK(b.guest.used_idx() == 1);
    CHECK(*b.rig.host(kStatus) == kSOk);
    CHECK(b.rig.reg(M::kDeviceId) == 0);
    CHECK_FALSE(b.rig.irq.level(1));
    b.guest.publish(0);  // a kick into the empty slot does nothing
    poll_ready(main_context());
    CHECK(b.guest.used_idx() == 1);
}

TEST_CASE("Moving virtio-blk between the main loop and an IOThread loses no request", "[virtio][blk][iothread]")
{
    IOThread io("io-move");
    const bool ioeventfd = GENERATE(false, true);
    BlkBench b(false, main_context(), false, true, {}, ioeventfd);
    REQUIRE(b.guest.init() & kStatusDriverOk);
    b.disk->fill(0, pattern(512, 77));

    // A request in flight while the move starts: the drained section waits for it.
    std::thread opener = b.hold_read_in_flight(std::chrono::milliseconds(30));
    b.blk->move_to_context(io.context());
    opener.join();
    CHECK(b.guest.used_idx() == 1);
    CHECK(&b.backend->aio_context() == &io.context());

    // Requests made available while drained are served once the section ends.
    {
        DrainedSection drained(*b.blk);
        b.submit(kTIn, 0, 512, true);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        CHECK(b.guest.used_idx() == 1);
    }
    REQUIRE(wait_elsewhere([&] { return b.guest.used_idx() == 2; }));

    b.blk->move_to_context(main_context());
    CHECK(&b.backend->aio_context() == &main_context());
    CHECK(b.request(kTIn, 0, 512, true) == kSOk);
    CHECK(std::memcmp(b.rig.host(kBuf), pattern(512, 77).data(), 512) == 0);
}

TEST_CASE("virtio-blk on real images: a raw file and a qcow2 made by qemu-img, checked by qemu-img", "[virtio][blk][image]")
{
    const std::string format = GENERATE(as<std::string>{}, "raw", "qcow2");
    const auto data = pattern(4096, 17);
    TempFile image;
    if (format == "raw") {
        REQUIRE(truncate(image.path().c_str(), kDiskSize) == 0);
    } else {
        const std::string create = "qemu-img create -q -f qcow2 " + image.path() + " " + std::to_string(kDiskSize);
        REQUIRE(std::system(create.c_str()) == 0);
    }
    {
        BlkBench b(false, open_block_driver(image.path(), {format, false}));
        REQUIRE(b.guest.init() & kStatusDriverOk);
        std::memcpy(b.rig.host(kBuf), data.data(), data.size());
        CHECK(b.request(kTOut, 8, 4096, false) == kSOk);
        CHECK(b.request(kTFlush, 0, 0, false) == kSOk);
        std::memset(b.rig.host(kBuf), 0xee, 8192);
        CHECK(b.request(kTIn, 0, 8192, true) == kSOk);
        CHECK(std::all_of(b.rig.host(kBuf), b.rig.host(kBuf) + 4096, [](uint8_t x) { return x == 0; }));
        CHECK(std::memcmp(b.rig.host(kBuf + 4096), data.data(), 4096) == 0);
    }  // unplugged, the image closed

    if (format == "raw") {
        const std::string bytes = image.contents();
        REQUIRE(bytes.size() == kDiskSize);
        CHECK(std::memcmp(bytes.data() + 4096, data.data(), 4096) == 0);
    } else {
        const std::string check = "qemu-img check -q " + image.path();
        CHECK(std::system(check.c_str()) == 0);
        TempFile raw;
        const std::string convert = "qemu-img convert -f qcow2 -O raw " + image.path() + " " + raw.path();
        REQUIRE(std::system(convert.c_str()) == 0);
        const std::string bytes = raw.contents();
        REQUIRE(bytes.size() == kDiskSize);
        CHECK(std::memcmp(bytes.data() + 4096, data.data(), 4096) == 0);
    }
}
