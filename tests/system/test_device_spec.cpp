// Device specifications (system/device_spec.h): what -device and hot-plug scripts accept.
#include <catch2/catch.hpp>

#include "system/device_spec.h"

using namespace locklab;

TEST_CASE("A device spec is a type and KEY=VALUE properties separated by commas or spaces",
          "[system][device_spec]")
{
    DeviceSpec a = parse_device_spec("mmio-scratch,id=s0,cost=200");
    CHECK(a.type == "mmio-scratch");
    CHECK(a.props.size() == 2);
    CHECK(a.props.at("id") == "s0");
    DeviceSpec b = parse_device_spec("  mmio-scratch id=s1  cost=0x10 ");
    CHECK(b.take("id") == "s1");
    CHECK(b.take_u64("cost", 0) == 16);
    CHECK(b.props.empty());
    CHECK(b.take("id", "fallback") == "fallback");
    CHECK(b.take_u64("cost", 7) == 7);
    CHECK(parse_device_spec("x,k=").props.at("k").empty());
}

TEST_CASE("Malformed device specs and properties are refused with the reason", "[system][device_spec]")
{
    CHECK_THROWS_WITH(parse_device_spec(""), Catch::Contains("expected TYPE"));
    CHECK_THROWS_WITH(parse_device_spec("id=s0"), Catch::Contains("expected TYPE"));
    CHECK_THROWS_WITH(parse_device_spec("t,cost"), Catch::Contains("'cost' is not KEY=VALUE"));
    CHECK_THROWS_WITH(parse_device_spec("t,=1"), Catch::Contains("not KEY=VALUE"));
    CHECK_THROWS_WITH(parse_device_spec("t,id=a,id=b"), Catch::Contains("'id' given twice"));

    DeviceSpec s = parse_device_spec("t,cost=12ns,n=,x=1");
    CHECK_THROWS_WITH(s.take_u64("cost", 0), Catch::Contains("cost=12ns is not a number"));
    CHECK_THROWS_AS(s.take_u64("n", 0), DeviceSpecError);
    CHECK_THROWS_WITH(s.expect_all_taken(), Catch::Contains("unknown property 'x'"));
}
