// --hotplug-script (system/hotplug_script.h): the file format, its errors, and replaying a schedule on
// main-loop timers of the Virtual clock.
#include <catch2/catch.hpp>

#include <cstdio>
#include <sstream>

#include "devices/mmio_scratch.h"
#include "devices/virt_memmap.h"
#include "system/hotplug_script.h"
#include "tests/devices/device_fixture.h"

using namespace locklab;
using namespace locklab::test;

namespace {

std::vector<HotplugAction> parse(const std::string& text)
{
    std::istringstream in(text);
    return parse_hotplug_script(in, "test.script");
}

// Collects what the player logs.
class MemoryLog {
public:
    MemoryLog() : f_(open_memstream(&buf_, &size_)) { REQUIRE(f_); }
    ~MemoryLog()
    {
        std::fclose(f_);
        std::free(buf_);
    }
    std::FILE* file() { return f_; }
    std::string text()
    {
        std::fflush(f_);
        return std::string(buf_, size_);
    }

private:
    char* buf_ = nullptr;
    size_t size_ = 0;
    std::FILE* f_;
};

}  // namespace

TEST_CASE("A hot-plug script lists timed adds and dels; comments and blank lines are skipped",
          "[system][hotplug][script]")
{
    const auto actions = parse("# a comment\n"
                               "\n"
                               "50 add mmio-scratch id=s1 cost=200   # trailing comment\n"
                               "  120 del s1\n"
                               "130 del s2 surprise\n"
                               "0 add mmio-scratch,id=s2\n");
    REQUIRE(actions.size() == 4);
    CHECK(actions[0].at_ms == 50);
    CHECK(actions[0].kind == HotplugAction::Kind::Add);
    CHECK(actions[0].device.type == "mmio-scratch");
    CHECK(actions[0].device.props.at("cost") == "200");
    CHECK(actions[0].where == "test.script:3");
    CHECK(actions[1].kind == HotplugAction::Kind::Del);
    CHECK(actions[1].id == "s1");
    CHECK_FALSE(actions[1].surprise);
    CHECK(actions[2].surprise);
    CHECK(actions[3].device.props.at("id") == "s2");
}

TEST_CASE("Bad hot-plug script lines are refused with file, line and reason", "[system][hotplug][script]")
{
    CHECK_THROWS_WITH(parse("x add mmio-scratch"), Catch::Contains("test.script:1: 'x' is not a time"));
    CHECK_THROWS_WITH(parse("\n-5 del s1"), Catch::Contains("test.script:2: '-5' is not a time"));
    CHECK_THROWS_WITH(parse("5 plug s1"), Catch::Contains("unknown action 'plug'"));
    CHECK_THROWS_WITH(parse("5 del"), Catch::Contains("del needs a device id"));
    CHECK_THROWS_WITH(parse("5 del s1 now"), Catch::Contains("unexpected 'now'"));
    CHECK_THROWS_WITH(parse("5 del s1 surprise twice"), Catch::Contains("unexpected 'twice'"));
    CHECK_THROWS_WITH(parse("5 add"), Catch::Contains("test.script:1: device ''"));
    CHECK_THROWS_WITH(parse("5 add mmio-scratch cost"), Catch::Contains("not KEY=VALUE"));
    CHECK_THROWS_WITH(load_hotplug_script("/nonexistent/x.script"), Catch::Contains("cannot open"));
}

TEST_CASE("The player runs each action when its time comes, in time then file order, and reports errors",
          "[system][hotplug][script]")
{
    ManualVirtualClock clock;
    AddressSpace as("test");
    AioContext ctx("script-test");
    ctx.attach_current_thread();
    HotplugManager mgr(as, ctx, nullptr, [](std::function<void()> done) { done(); });
    MemoryLog log;
    HotplugScriptPlayer player(parse("10 del a surprise\n"
                                     "5 add mmio-scratch id=b\n"
                                     "0 add mmio-scratch id=a\n"
                                     "5 del b surprise\n"
                                     "5 del nope\n"),
                               mgr, ctx, log.file());
    player.start();
    poll_ready(ctx);
    CHECK(player.actions_run() == 1);
    CHECK(mgr.device_ids() == std::vector<std::string>{"a"});

    clock.advance(4'999'999);
    poll_ready(ctx);
    CHECK(player.actions_run() == 1);  // not yet

    clock.advance(1);
    ctx.notify();
    REQUIRE(poll_until(ctx, [&] { return player.removals_completed() == 1; }));
    CHECK(player.actions_run() == 4);  // b added, then removed (file order), then the bad del
    CHECK(player.errors() == 1);
    CHECK(mgr.device_ids() == std::vector<std::string>{"a"});

    clock.advance(5'000'000);
    ctx.notify();
    REQUIRE(poll_until(ctx, [&] { return player.removals_completed() == 2; }));
    CHECK(mgr.device_ids().empty());
    uint64_t v = 0;
    CHECK(as.read(virt::kResearchBase, 8, v) == MemTx::Unassigned);

    const std::string text = log.text();
    CHECK_THAT(text, Catch::Contains("locklab: hotplug: a added (mmio-scratch)"));
    CHECK_THAT(text, Catch::Contains("locklab: hotplug: b surprise removal"));
    CHECK_THAT(text, Catch::Contains("locklab: hotplug-script test.script:5: device_del: no device 'nope'"));
    CHECK_THAT(text, Catch::Contains("locklab: hotplug: a removed (surprise): removal"));
}
