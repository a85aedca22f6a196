// The JIT's register profile (cpu/tcg/register_profile.h): which guest registers it proposes to pin,
// when, and when it keeps the current choice.
#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>

#include "cpu/tcg/register_profile.h"

using namespace locklab::rv::tcg;

namespace {

RegisterProfile::Uses uses(std::initializer_list<std::pair<unsigned, uint8_t>> counts)
{
    RegisterProfile::Uses u{};
    for (auto [r, n] : counts) u[r] = n;
    return u;
}

bool contains(const PinnedRegs& p, unsigned r) { return std::find(p.guest.begin(), p.guest.end(), r) != p.guest.end(); }

}  // namespace

TEST_CASE("the profile proposes the heaviest registers, hottest first, at its decision point", "[cpu][tcg]")
{
    RegisterProfile prof;
    const PinnedRegs current;  // a5 a4 a3 a2 a0 sp
    const auto u = uses({{18, 9}, {19, 7}, {20, 5}, {21, 3}, {15, 1}, {8, 2}, {9, 4}});
    std::optional<PinnedRegs> p;
    for (uint32_t k = 0; k < RegisterProfile::kFirstInterval; ++k) {
        REQUIRE(!p);
        p = prof.sample(u, current);
    }
    REQUIRE(p);
    CHECK(p->guest == std::array<uint8_t, PinnedRegs::kCount>{18, 19, 20, 9, 21, 8});
    CHECK(prof.interval() == 2 * RegisterProfile::kFirstInterval);  // the next decision waits longer
}

TEST_CASE("the profile keeps the current registers unless others are clearly heavier", "[cpu][tcg]")
{
    const PinnedRegs current;
    SECTION("the same set, in another order, is no change")
    {
        RegisterProfile prof;
        std::optional<PinnedRegs> p;
        for (uint32_t k = 0; k < RegisterProfile::kFirstInterval; ++k)
            p = prof.sample(uses({{2, 1}, {10, 2}, {12, 3}, {13, 4}, {14, 5}, {15, 6}}), current);
        CHECK(!p);
        CHECK(prof.interval() == RegisterProfile::kFirstInterval);
    }
    SECTION("less than 11/10 of the current weight is no change")
    {
        RegisterProfile prof;
        std::optional<PinnedRegs> p;
        // current: 6 x 10 = 60; best: five of them and x18 at 15 -> 65 < 66
        for (uint32_t k = 0; k < RegisterProfile::kFirstInterval; ++k)
            p = prof.sample(uses({{2, 10}, {10, 10}, {12, 10}, {13, 10}, {14, 10}, {15, 10}, {18, 15}}), current);
        CHECK(!p);
    }
    SECTION("more than that is a change, which keeps the heavy current ones")
    {
        RegisterProfile prof;
        std::optional<PinnedRegs> p;
        for (uint32_t k = 0; k < RegisterProfile::kFirstInterval; ++k)
            p = prof.sample(uses({{2, 10}, {10, 10}, {12, 10}, {13, 10}, {14, 10}, {15, 1}, {18, 30}}), current);
        REQUIRE(p);
        CHECK(contains(*p, 18));
        CHECK(!contains(*p, 15));
        for (unsigned r : {2u, 10u, 12u, 13u, 14u}) CHECK(contains(*p, r));
    }
    SECTION("no samples with uses: no change")
    {
        RegisterProfile prof;
        std::optional<PinnedRegs> p;
        for (uint32_t k = 0; k < RegisterProfile::kFirstInterval; ++k) p = prof.sample(uses({}), current);
        CHECK(!p);
    }
}
