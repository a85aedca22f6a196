// FENCE against a device's DMA (memory/guest_ram_order.h): every FENCE is the full barrier a
// device's guest_ram_release() pairs with, whatever sets it names (cpu/semantics.h). A hart that polls
// an index the device published and then FENCEs may read what the device wrote, and overwrite what
// it read, without a data race. Each variant below orders the index read before the buffer reads
// in RVWMO too, and each is what some driver puts there: Linux's virtio_rmb() is `fence r,r`,
// U-Boot's readl() ends in `fence ir,ir`, an acquire is `fence r,rw`. Only a ThreadSanitizer build
// (tsan preset) sees a race if a variant stopped pairing; other builds check the values only. With
// a nop in place of the FENCE, TSan reports the three races it reports for U-Boot, whose
// virtqueue_get_buf() has no FENCE there (issue 5; tests/guests/uboot.cmake).
#include <catch2/catch.hpp>

#include <atomic>
#include <cstring>
#include <thread>

#include "memory/guest_ram_order.h"
#include "tests/cpu/core_fixture.h"

using namespace locklab;
using namespace locklab::rv;
using namespace locklab::rv::test;
using namespace locklab::rv::test::enc;

namespace {

constexpr unsigned A0 = 10, T0 = 5, T1 = 6, T2 = 7;
// From CoreFixture::kData on: the index the device publishes, the status byte and the data it
// writes, and the request header it reads (which the hart then reuses), as in a virtio-blk request.
constexpr int kIndexAt = 0, kStatusAt = 8, kDataAt = 16, kHeaderAt = 24;

}  // namespace

TEST_CASE_METHOD(CoreFixture, "every FENCE variant orders a device's DMA before the hart's later accesses",
                 "[cpu][interp][fence]")
{
    const uint32_t fence_insn = GENERATE(0x0ff0000fu,   // fence iorw,iorw
                                         0x0220000fu,   // fence r,r
                                         0x0aa0000fu,   // fence ir,ir
                                         0x0230000fu,   // fence r,rw
                                         0x0330000fu,   // fence rw,rw
                                         0x8330000fu);  // fence.tso
    CAPTURE(fence_insn);
    constexpr uint64_t kHeaderValue = 0x1122334455667788, kDataValue = 0x0123456789abcdef;
    constexpr uint8_t kStatusValue = 0x5a;
    const uint64_t kBase = CoreFixture::kData;
    poke64(kBase + kHeaderAt, kHeaderValue);  // the driver's request, before the device starts
    h.x[A0] = kBase;

    uint64_t header_seen = 0;
    std::thread device([&] {
        std::memcpy(&header_seen, host(kBase + kHeaderAt), 8);  // plain reads and writes, as DMA
        *host(kBase + kStatusAt) = kStatusValue;
        std::memcpy(host(kBase + kDataAt), &kDataValue, 8);
        guest_ram_release();
        std::atomic_ref<uint16_t>(*reinterpret_cast<uint16_t*>(host(kBase + kIndexAt)))
            .store(1, std::memory_order_release);
    });
    // poll: lhu t0, index; beqz t0, poll; FENCE; read the status and the data; reuse the header.
    RunExit e = run_program({lhu(T0, A0, kIndexAt), beq(T0, 0, -4), fence_insn, lbu(T1, A0, kStatusAt),
                             ld(T2, A0, kDataAt), sd(T0, A0, kHeaderAt)});
    while (e == RunExit::BudgetDone) e = h.run(100000);
    device.join();

    REQUIRE(finished());
    CHECK(h.x[T1] == kStatusValue);
    CHECK(h.x[T2] == kDataValue);
    CHECK(header_seen == kHeaderValue);
    CHECK(peek(kBase + kHeaderAt) == 1);
}
