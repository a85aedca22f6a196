// Test finisher (devices/test_finisher.h): which writes become which shutdown requests.
#include <catch2/catch.hpp>

#include <vector>

#include "device_fixture.h"
#include "devices/test_finisher.h"
#include "devices/virt_memmap.h"

using namespace locklab;
using namespace locklab::test;

namespace {

constexpr hwaddr kBase = virt::kTestBase;

struct FinisherBench {
    AddressSpace as{"finisher-test"};
    Mapped<TestFinisher> finisher{as, kBase, make_object<TestFinisher>(virt::kTestSize)};
    std::vector<ShutdownRequest> requests;
    FinisherBench()
    {
        finisher->set_handler([this](ShutdownRequest r) { requests.push_back(r); });
    }
};

}  // namespace

TEST_CASE("0x5555 requests a passing shutdown with the code from the high 16 bits", "[devices][finisher]")
{
    FinisherBench b;
    write_reg(b.as, kBase, 4, 0x5555);
    write_reg(b.as, kBase, 4, (7u << 16) | 0x5555);
    REQUIRE(b.requests.size() == 2);
    CHECK(b.requests[0].kind == ShutdownRequest::Kind::Pass);
    CHECK(b.requests[0].code == 0);
    CHECK(b.requests[1].code == 7);
}

TEST_CASE("0x3333 requests a failing shutdown with its code; 0x7777 a reset", "[devices][finisher]")
{
    FinisherBench b;
    write_reg(b.as, kBase, 4, (0xabcdu << 16) | 0x3333);
    write_reg(b.as, kBase, 2, 0x7777);  // 16-bit writes are accepted, as in QEMU
    REQUIRE(b.requests.size() == 2);
    CHECK(b.requests[0].kind == ShutdownRequest::Kind::Fail);
    CHECK(b.requests[0].code == 0xabcd);
    CHECK(b.requests[1].kind == ShutdownRequest::Kind::Reset);
}

TEST_CASE("Unknown finisher values are guest errors that request nothing", "[devices][finisher]")
{
    FinisherBench b;
    write_reg(b.as, kBase, 4, 0x1234);
    write_reg(b.as, kBase, 4, 0x4321);
    write_reg(b.as, kBase + 4, 4, 0x5555);  // only offset 0 is the finisher register
    CHECK(b.requests.empty());
    CHECK(b.finisher->guest_errors() == 3);
    CHECK(read_reg(b.as, kBase, 4) == 0);
    uint64_t v = 0;
    CHECK(b.as.write(kBase, 1, 0x55) == MemTx::AccessError);  // too narrow for a status
    CHECK(b.as.read(kBase, 8, v) == MemTx::AccessError);
}
