// flush_all_harts (system/vcpu_flush.h): every hart flushes on its own thread, and the caller hears
// once, after the last one.
#include <catch2/catch.hpp>

#include "memory/address_space.h"
#include "system/vcpu_flush.h"

using namespace locklab;

TEST_CASE("flush_all_harts reports once, after the last hart ran its flush", "[system][hotplug][vcpu_flush]")
{
    AddressSpace as("test");
    std::vector<std::unique_ptr<rv::Hart>> harts;
    for (unsigned i = 0; i < 3; ++i) harts.push_back(std::make_unique<rv::Hart>(i, as));
    int done = 0;
    flush_all_harts(harts, [&] { ++done; });
    CHECK(done == 0);  // queued on the harts, not run by the caller
    harts[2]->process_queued_work();
    harts[0]->process_queued_work();
    CHECK(done == 0);
    harts[1]->process_queued_work();
    CHECK(done == 1);
    for (auto& h : harts) h->process_queued_work();
    CHECK(done == 1);
}

TEST_CASE("flush_all_harts with no harts reports at once", "[system][hotplug][vcpu_flush]")
{
    int done = 0;
    flush_all_harts({}, [&] { ++done; });
    CHECK(done == 1);
}
