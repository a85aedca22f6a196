// The trylock lock models (locking/lock_model.h): what asynchronous work does when the device lock
// is busy — skipped (trylock-skip), run by the holder before it releases (trylock-queue), re-posted
// to its executor once the lock is free (trylock-notify) — and that nothing is lost or run twice
// when event loops and vCPUs race.
#include <catch2/catch.hpp>

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

#include "lock_model_helpers.h"
#include "locking/bql.h"
#include "locking/lock_model.h"

using namespace locklab;
using namespace locklab::test;

namespace {

std::unique_ptr<LockModel> trylock(TrylockLockModel::WhenBusy b)
{
    return std::make_unique<TrylockLockModel>(b);
}

// A trylock model, a bql_free device whose lock a vCPU thread holds until the test releases it, and
// an event loop's executor; submit() hands the model work that records where and how it ran.
struct BusyDevice {
    std::unique_ptr<LockModel> model;
    ListExecutor ex;
    LockDomain d{"test.trylock.busy"};
    std::optional<HeldByThread> vcpu;
    int runs = 0;
    bool under_device = false;
    std::thread::id ran_on;

    explicit BusyDevice(TrylockLockModel::WhenBusy b) : model(trylock(b))
    {
        d.bql_free = true;
        vcpu.emplace(*model, d);
    }
    AsyncOutcome submit()
    {
        return model->run_async(d,
                                [this] {
                                    ++runs;
                                    under_device = d.lock.held_by_me();
                                    ran_on = std::this_thread::get_id();
                                },
                                ex.executor());
    }
};

}  // namespace

TEST_CASE("Trylock models run asynchronous work at once when the lock is free", "[locking][lock_model][trylock]")
{
    for (auto b : {TrylockLockModel::WhenBusy::Skip, TrylockLockModel::WhenBusy::Queue,
                   TrylockLockModel::WhenBusy::Notify}) {
        auto model = trylock(b);
        INFO("lock model " << model->name());
        ListExecutor ex;
        LockDomain d("test.trylock.free");
        d.bql_free = true;
        bool under_device = false;
        CHECK(model->run_async(d, [&] { under_device = d.lock.held_by_me(); }, ex.executor()) == AsyncOutcome::Ran);
        CHECK(under_device);
        CHECK_FALSE(d.lock.held_by_me());
        CHECK(ex.pending() == 0);
    }
}

TEST_CASE("trylock-skip leaves work for a busy lock undone and runs it when retried after the release",
          "[locking][lock_model][trylock]")
{
    BusyDevice b(TrylockLockModel::WhenBusy::Skip);
    CHECK(b.submit() == AsyncOutcome::Skipped);
    b.vcpu->release();
    CHECK(b.runs == 0);
    CHECK(b.ex.pending() == 0);  // the model posts nothing: retrying is the caller's business
    CHECK(b.submit() == AsyncOutcome::Ran);
    CHECK(b.runs == 1);
}

TEST_CASE("trylock-queue hands work for a busy lock to the holder who runs it once before releasing",
          "[locking][lock_model][trylock]")
{
    BusyDevice b(TrylockLockModel::WhenBusy::Queue);
    CHECK(b.submit() == AsyncOutcome::Queued);
    CHECK(b.runs == 0);  // the holder has not released yet
    b.vcpu->release();
    CHECK(b.runs == 1);
    CHECK(b.ran_on == b.vcpu->id());  // run by the holder ...
    CHECK(b.under_device);            // ... while it still held the lock
    CHECK(b.ex.pending() == 0);
}

TEST_CASE("trylock-notify re-posts work for a busy lock to its executor once the lock is released",
          "[locking][lock_model][trylock]")
{
    BusyDevice b(TrylockLockModel::WhenBusy::Notify);
    CHECK(b.submit() == AsyncOutcome::Waiting);
    CHECK(b.ex.pending() == 0);  // no wake-up while the lock is held
    b.vcpu->release();
    CHECK(b.runs == 0);          // the holder does not run it ...
    CHECK(b.ex.pending() == 1);  // ... it wakes the waiter's executor
    CHECK(b.ex.run_all() == 1);
    CHECK(b.runs == 1);
    CHECK(b.ran_on == std::this_thread::get_id());
    CHECK(b.under_device);
}

TEST_CASE("Trylock models defer work for a device protected by the BQL to the BQL's holder",
          "[locking][lock_model][trylock]")
{
    auto model = trylock(TrylockLockModel::WhenBusy::Queue);
    ListExecutor ex;
    LockDomain d("test.trylock.bql");  // not bql_free: the BQL protects it
    int runs = 0;
    bool under_bql = false;
    HeldByThread holder(*model, d);
    CHECK(model->run_async(d, [&] { ++runs; under_bql = bql_locked(); }, ex.executor()) == AsyncOutcome::Queued);
    holder.release();
    CHECK(runs == 1);
    CHECK(under_bql);
}

TEST_CASE("Queued work runs on bql_unlock too, not only when a LockHold is released", "[locking][lock_model][trylock]")
{
    auto model = trylock(TrylockLockModel::WhenBusy::Queue);
    ListExecutor ex;
    LockDomain d("test.trylock.bql-unlock");
    int runs = 0;
    bql_lock();
    std::thread([&] { CHECK(model->run_async(d, [&] { ++runs; }, ex.executor()) == AsyncOutcome::Queued); }).join();
    CHECK(runs == 0);
    bql_unlock();
    CHECK(runs == 1);
}

// Event-loop threads post work while vCPU threads take and release the lock as fast as they can.
// Every piece of work must run exactly once and under the lock (TSan checks the latter: the work
// and the vCPUs touch the same plain counters).
TEST_CASE("Under a race between event loops and vCPUs no deferred work is lost or run twice",
          "[locking][lock_model][trylock]")
{
    constexpr int kLoops = 2, kVcpus = 2, kItems = 3000;
    for (auto b : {TrylockLockModel::WhenBusy::Skip, TrylockLockModel::WhenBusy::Queue,
                   TrylockLockModel::WhenBusy::Notify}) {
        auto model = trylock(b);
        INFO("lock model " << model->name());
        LockDomain d("test.trylock.race");
        d.bql_free = true;
        uint64_t async_runs = 0, vcpu_runs = 0;  // protected by d.lock
        std::atomic<bool> loops_done{false};
        std::atomic<int> vcpus_in{0};  // vCPU threads that have made an access
        std::vector<std::thread> threads;
        for (int v = 0; v < kVcpus; ++v)
            threads.emplace_back([&] {
                bool counted = false;
                while (!loops_done.load()) {
                    {
                        LockHold hold = model->enter(d);
                        ++vcpu_runs;
                    }
                    if (!counted) vcpus_in.fetch_add(1);
                    counted = true;
                }
            });
        // The loops start once every vCPU thread runs: on a loaded host they could otherwise finish
        // before a vCPU thread got a core, and nothing would have raced.
        while (vcpus_in.load() < kVcpus) std::this_thread::yield();
        std::vector<std::thread> loops;
        std::atomic<uint64_t> submitted{0};
        for (int l = 0; l < kLoops; ++l)
            loops.emplace_back([&] {
                ListExecutor ex;           // this event loop's executor
                std::atomic<int> ran{0};   // this loop's work that has run, wherever it ran
                auto work = [&] {
                    ++async_runs;
                    ran.fetch_add(1);
                };
                int left = kItems;
                while (ran.load() < kItems) {  // ex must outlive every wake-up aimed at it
                    ex.run_all();              // wake-ups (notify) land here
                    if (left == 0) {
                        std::this_thread::yield();
                        continue;
                    }
                    if (model->run_async(d, work, ex.executor()) == AsyncOutcome::Skipped) continue;  // retry
                    --left;
                    submitted.fetch_add(1);
                }
            });
        for (auto& t : loops) t.join();
        loops_done.store(true);
        for (auto& t : threads) t.join();
        CHECK(submitted.load() == uint64_t(kLoops) * kItems);
        CHECK(async_runs == uint64_t(kLoops) * kItems);
        CHECK(vcpu_runs > 0);
    }
}
