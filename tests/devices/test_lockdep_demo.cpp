// The lockdep demo device: its two paths take its two lock classes in opposite orders, which
// lockdep reports (with the device's own call sites) without anything deadlocking.
#include "device_fixture.h"

#include "devices/lockdep_demo.h"
#include "locking/lockdep.h"

using namespace locklab;
using namespace locklab::test;

namespace {

hwaddr reg(LockdepDemo::Reg r) { return kLockdepDemoBase + r; }

struct LockdepOn {
    LockdepOn()
    {
        lockdep_reset();
        lockdep_enable(LockdepMode::Warn);
    }
    ~LockdepOn() { lockdep_enable(LockdepMode::Off); }
};

}  // namespace

TEST_CASE("the lockdep demo's kick and backend completion run and are counted", "[devices][lockdep]")
{
    AddressSpace as("test");
    AioContext ctx("main");
    Mapped<LockdepDemo> demo(as, kLockdepDemoBase, make_object<LockdepDemo>(ctx));
    CHECK(read_reg(as, reg(LockdepDemo::kMagic), 4) == kLockdepDemoMagic);
    write_reg(as, reg(LockdepDemo::kKick), 4, 1);
    CHECK(read_reg(as, reg(LockdepDemo::kKicks), 4) == 1);
    write_reg(as, reg(LockdepDemo::kAsync), 4, 1);
    CHECK(read_reg(as, reg(LockdepDemo::kCompletions), 4) == 0);  // runs on the main loop
    CHECK(poll_until(ctx, [&] { return read_reg(as, reg(LockdepDemo::kCompletions), 4) == 1; }));
    CHECK(demo->guest_errors() == 0);
    uint64_t v = 1;
    CHECK(as.read(kLockdepDemoBase + 0x20, 4, v) == MemTx::Ok);  // reserved: reads 0, logged
    CHECK(v == 0);
    CHECK(demo->guest_errors() == 1);
}

TEST_CASE("lockdep reports the lockdep demo's inverted order between its state and backend locks",
          "[devices][lockdep]")
{
    LockdepOn on;
    AddressSpace as("test");
    AioContext ctx("main");
    Mapped<LockdepDemo> demo(as, kLockdepDemoBase, make_object<LockdepDemo>(ctx));
    write_reg(as, reg(LockdepDemo::kKick), 4, 1);
    CHECK(lockdep_reports().empty());
    write_reg(as, reg(LockdepDemo::kAsync), 4, 1);
    REQUIRE(poll_until(ctx, [&] { return read_reg(as, reg(LockdepDemo::kCompletions), 4) == 1; }));

    const auto reports = lockdep_reports();
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].new_order.from == "lockdep-demo.backend");
    CHECK(reports[0].new_order.to == "lockdep-demo.state");
    REQUIRE(reports[0].opposite.size() == 1);
    CHECK(reports[0].opposite[0].from == "lockdep-demo.state");
    CHECK(reports[0].opposite[0].to == "lockdep-demo.backend");
    // The sites are the device's own lines, not a guard's inside <mutex>.
    for (const auto* site : {&reports[0].new_order.from_site, &reports[0].new_order.to_site,
                             &reports[0].opposite[0].from_site, &reports[0].opposite[0].to_site})
        CHECK_THAT(site->file_name(), Catch::EndsWith("devices/lockdep_demo.cpp"));

    // Running both paths again teaches nothing new.
    write_reg(as, reg(LockdepDemo::kKick), 4, 1);
    write_reg(as, reg(LockdepDemo::kAsync), 4, 1);
    REQUIRE(poll_until(ctx, [&] { return read_reg(as, reg(LockdepDemo::kCompletions), 4) == 2; }));
    CHECK(lockdep_reports().size() == 1);
}
