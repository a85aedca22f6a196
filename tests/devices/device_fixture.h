// Shared pieces of the device tests: a recording IrqSink, a device mapped into an AddressSpace at its
// `virt` address, register accessors that insist on MemTx::Ok, a Virtual clock the test drives, and
// polling an AioContext until something happens.
#pragma once

#include <catch2/catch.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <string>

#include "locking/rcu.h"
#include "loop/aio_context.h"
#include "memory/address_space.h"
#include "qom/irq.h"
#include "qom/object.h"

namespace locklab::test {

// Remembers each line's level and counts how often it was driven high. Thread-safe.
class FakeIrqSink final : public IrqSink {
public:
    void set_irq(unsigned line, bool level) override
    {
        std::lock_guard lk(mutex_);
        levels_[line] = level;
        if (level) ++raises_[line];
    }
    bool level(unsigned line) const
    {
        std::lock_guard lk(mutex_);
        auto it = levels_.find(line);
        return it != levels_.end() && it->second;
    }
    int raises(unsigned line) const
    {
        std::lock_guard lk(mutex_);
        auto it = raises_.find(line);
        return it == raises_.end() ? 0 : it->second;
    }

private:
    mutable std::mutex mutex_;
    std::map<unsigned, bool> levels_;  // protected by mutex_
    std::map<unsigned, int> raises_;   // protected by mutex_
};

// A realized device mapped at `base`; unmapped, unrealized and freed when the fixture goes. The
// replaced FlatViews hold references on the device until their RCU callbacks run: the fixture waits
// for those, so the device is freed here and not by the RCU thread after the test (or the process)
// ended (a device freed during exit gave its lock's work queue back to a pool already destroyed:
// LeakSanitizer saw the queue's pages).
template <class T>
class Mapped {
public:
    Mapped(AddressSpace& as, hwaddr base, Ref<T> dev) : as_(as), dev_(std::move(dev))
    {
        dev_->realize();
        as_.add_region(base, dev_->mmio());
    }
    ~Mapped()
    {
        as_.remove_region(dev_->mmio());
        dev_->unrealize();
        rcu_barrier();  // the old FlatViews' references are dropped; dev_ holds the last one
    }
    Mapped(const Mapped&) = delete;
    Mapped& operator=(const Mapped&) = delete;
    T& operator*() const { return *dev_; }
    T* operator->() const { return dev_.get(); }

private:
    AddressSpace& as_;
    Ref<T> dev_;
};

inline uint64_t read_reg(AddressSpace& as, hwaddr addr, unsigned size)
{
    uint64_t v = 0;
    INFO("read at " << std::hex << addr << " size " << size);
    REQUIRE(as.read(addr, size, v) == MemTx::Ok);
    return v;
}

inline void write_reg(AddressSpace& as, hwaddr addr, unsigned size, uint64_t v)
{
    INFO("write at " << std::hex << addr << " size " << size);
    REQUIRE(as.write(addr, size, v) == MemTx::Ok);
}

// Makes the Virtual clock a counter the test advances (restored on destruction).
class ManualVirtualClock {
public:
    explicit ManualVirtualClock(int64_t start_ns = 1'000'000'000) : now_(start_ns)
    {
        set_virtual_clock([this] { return now_.load(); });
    }
    ~ManualVirtualClock() { set_virtual_clock({}); }
    void advance(int64_t ns) { now_ += ns; }
    int64_t now() const { return now_.load(); }

private:
    std::atomic<int64_t> now_;  // atomic: read by whichever thread asks for the Virtual clock
};

// A fresh empty file under /tmp, removed with the object.
class TempFile {
public:
    TempFile()
    {
        char name[] = "/tmp/locklab-devices-XXXXXX";
        const int fd = mkstemp(name);
        REQUIRE(fd >= 0);
        close(fd);
        path_ = name;
    }
    ~TempFile() { unlink(path_.c_str()); }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    const std::string& path() const { return path_; }
    std::string contents() const
    {
        std::ifstream in(path_, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }

private:
    std::string path_;
};

// Polls `ctx` (blocking) until `done()` holds or `timeout` passes; returns done().
inline bool poll_until(AioContext& ctx, const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5))
{
    bool timed_out = false;
    auto wake = ctx.new_timer(ClockType::Realtime, [&] { timed_out = true; });
    wake->mod(clock_ns(ClockType::Realtime) + std::chrono::nanoseconds(timeout).count());
    while (!done() && !timed_out) ctx.poll(true);
    return done();
}

// Runs every callback that is ready now, without waiting.
inline void poll_ready(AioContext& ctx)
{
    while (ctx.poll(false)) {
    }
}

}  // namespace locklab::test
