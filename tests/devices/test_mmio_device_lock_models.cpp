// MmioDevice's asynchronous work and device lock under each lock model (devices/mmio_device.h,
// locking/lock_model.h): which lock the work runs under, what happens to work that finds the device
// busy (retried on the loop, run by the holder, woken after the release), that deferred work does
// not outlive an unplug, and that the UART's input survives being deferred.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "device_fixture.h"
#include "devices/uart16550.h"
#include "devices/virt_memmap.h"
#include "locking/bql.h"
#include "locking/lock_model.h"
#include "locking/lock_model_helpers.h"

using namespace locklab;
using namespace locklab::test;

namespace {

class Probe final : public MmioDevice {
public:
    explicit Probe(bool bql_free) : MmioDevice("lockmodel-probe", 0x100, 4, 8) { lock_domain().bql_free = bql_free; }

    template <class F>
    void async(F fn) { run_async(std::move(fn)); }
    template <class F>
    void with_device_lock(F fn)
    {
        DeviceLockGuard lock(*this);
        fn();
    }

private:
    MemTx mmio_read(hwaddr, unsigned, uint64_t& value) override
    {
        value = 0;
        return MemTx::Ok;
    }
    MemTx mmio_write(hwaddr, unsigned, uint64_t) override { return MemTx::Ok; }
};

// The active lock model for one test; `global` again afterwards.
struct ScopedLockModel {
    explicit ScopedLockModel(std::string_view name) { set_lock_model(make_lock_model(name)); }
    ~ScopedLockModel() { set_lock_model(make_lock_model("global")); }
};

// An event loop run by the test's own thread, so run_async finds it as the current context.
struct Loop {
    AioContext ctx{"lock-model-test"};
    Loop() { ctx.attach_current_thread(); }
    void passes(int n)
    {
        for (int i = 0; i < n; ++i) ctx.poll(false);
    }
};

// What one piece of asynchronous work saw when it ran.
struct Seen {
    int runs = 0;
    bool under_bql = false, under_device_lock = false, engaged = false;
    std::thread::id thread;
};

auto recorder(Seen& seen, Probe& p)
{
    return [&seen, &p] {
        ++seen.runs;
        seen.under_bql = bql_locked();
        seen.under_device_lock = p.lock_domain().lock.held_by_me();
        seen.engaged = p.guard().engaged();
        seen.thread = std::this_thread::get_id();
    };
}

void check_ran_once_protected(const Seen& seen)
{
    CHECK(seen.runs == 1);
    CHECK(seen.under_device_lock);
    CHECK(seen.engaged);
}

// A bql_free Probe under `model` whose asynchronous work, submitted from this thread's loop, found
// the device busy: a vCPU thread holds its lock until the test releases it.
struct BusyProbe {
    ScopedLockModel model;
    Loop loop;
    Ref<Probe> p = make_object<Probe>(true);
    Seen seen;
    std::optional<HeldByThread> vcpu;

    explicit BusyProbe(std::string_view model_name) : model(model_name)
    {
        p->realize();
        vcpu.emplace(current_lock_model(), p->lock_domain());
        p->async(recorder(seen, *p));
        loop.passes(3);
    }
    ~BusyProbe()
    {
        vcpu.reset();
        p->unrealize();
    }
    bool ran() { return poll_until(loop.ctx, [&] { return seen.runs > 0; }); }
};

}  // namespace

TEST_CASE("Under every lock model a device's asynchronous work runs under the lock the model picks, engaged",
          "[devices][mmio][lock_model]")
{
    for (std::string_view model : lock_model_names()) {
        for (bool bql_free : {true, false}) {
            INFO("lock model " << model << (bql_free ? ", bql_free device" : ", device needing the BQL"));
            ScopedLockModel m(model);
            Loop loop;
            Ref<Probe> p = make_object<Probe>(bql_free);
            p->realize();
            Seen seen;
            p->async(recorder(seen, *p));
            CHECK(seen.runs == 1);  // the lock was free: at once
            const bool own_lock = bql_free && model != "global";
            CHECK(seen.under_device_lock == own_lock);
            CHECK(seen.under_bql == !own_lock);
            CHECK(seen.engaged);
            CHECK_FALSE(p->guard().engaged());
            p->unrealize();
        }
    }
}

TEST_CASE("trylock-skip retries a busy device's work on the loop's next passes until the lock is free",
          "[devices][mmio][lock_model]")
{
    BusyProbe b("trylock-skip");
    b.loop.passes(5);  // each pass retries and is skipped again
    CHECK(b.seen.runs == 0);
    b.vcpu->release();
    REQUIRE(b.ran());
    check_ran_once_protected(b.seen);
}

TEST_CASE("trylock-queue has the vCPU holding the device lock run the device's work before it releases",
          "[devices][mmio][lock_model]")
{
    BusyProbe b("trylock-queue");
    CHECK(b.seen.runs == 0);
    b.vcpu->release();
    check_ran_once_protected(b.seen);
    CHECK(b.seen.thread == b.vcpu->id());
}

TEST_CASE("trylock-notify runs a busy device's work on its loop once the lock is released",
          "[devices][mmio][lock_model]")
{
    BusyProbe b("trylock-notify");
    CHECK(b.seen.runs == 0);
    b.vcpu->release();
    REQUIRE(b.ran());
    check_ran_once_protected(b.seen);
    CHECK(b.seen.thread == std::this_thread::get_id());
}

TEST_CASE("Deferred asynchronous work of a device unplugged meanwhile does not run", "[devices][mmio][lock_model]")
{
    for (std::string_view model : {"trylock-skip", "trylock-queue", "trylock-notify"}) {
        INFO("lock model " << model);
        BusyProbe b(model);
        b.p->unrealize();  // by the lock's holder, as HotplugManager unplugs
        b.vcpu->release();
        b.loop.passes(5);
        CHECK(b.seen.runs == 0);
    }
}

TEST_CASE("DeviceLockGuard takes the device's lock and refuses it to a thread holding the BQL",
          "[devices][mmio][lock_model]")
{
    ScopedLockModel m("per-device");
    Ref<Probe> p = make_object<Probe>(true);
    bool held = false;
    p->with_device_lock([&] { held = p->lock_domain().lock.held_by_me() && !bql_locked(); });
    CHECK(held);
    bql_lock();
    CHECK_THROWS_AS(p->with_device_lock([] {}), std::logic_error);
    bql_unlock();
}

TEST_CASE("UART input deferred by a trylock model arrives once, and the loop never blocks on the drained fd",
          "[devices][uart][lock_model]")
{
    for (std::string_view model : {"trylock-skip", "trylock-queue", "trylock-notify"}) {
        INFO("lock model " << model);
        ScopedLockModel m(model);
        int fds[2];
        REQUIRE(pipe(fds) == 0);
        {
            Loop loop;
            FakeIrqSink plic;
            TempFile out;
            AddressSpace as("uart-lock-model");
            Mapped<Uart16550> uart(as, virt::kUartBase,
                                   make_object<Uart16550>(virt::kUartSize, virt::kUartClockHz, loop.ctx,
                                                          IrqLine(&plic, virt::kUartIrq), make_char_sink(out.path()),
                                                          fds[0]));
            auto reg = [&](hwaddr r) { return uint8_t(read_reg(as, virt::kUartBase + r, 1)); };
            write_reg(as, virt::kUartBase + Uart16550::kIirFcr, 1, Uart16550::kFcrEnable);  // FIFO on
            REQUIRE(write(fds[1], "xy", 2) == 2);
            {
                HeldByThread vcpu(current_lock_model(), uart->lock_domain());
                loop.passes(5);  // the fd is readable, the UART busy: skipped, queued or waiting
            }
            REQUIRE(poll_until(loop.ctx, [&] { return reg(Uart16550::kLsr) & Uart16550::kLsrDr; }));
            loop.passes(5);  // a retry or wake-up that finds the pipe empty must not block here
            CHECK(reg(Uart16550::kRbrThr) == 'x');
            CHECK(reg(Uart16550::kRbrThr) == 'y');
            CHECK_FALSE(reg(Uart16550::kLsr) & Uart16550::kLsrDr);  // each byte once
        }
        close(fds[0]);
        close(fds[1]);
    }
}
