#include "devices/lockdep_demo.h"

#include "locking/site_lock_guard.h"

namespace locklab {

LockdepDemo::LockdepDemo(AioContext& ctx)
    : MmioDevice("lockdep-demo", kLockdepDemoSize, 4, 4),
      completion_bh_(ctx.new_bh([this] { run_async([this] { complete_backend_work(); }); }))
{
}

MemTx LockdepDemo::mmio_read(hwaddr offset, unsigned, uint64_t& value)
{
    SiteLockGuard state(state_lock_);
    switch (offset) {
    case kMagic: value = kLockdepDemoMagic; return MemTx::Ok;
    case kCompletions: value = completions_; return MemTx::Ok;
    case kKicks: value = kicks_; return MemTx::Ok;
    default: return reserved_read(offset, value);
    }
}

MemTx LockdepDemo::mmio_write(hwaddr offset, unsigned, uint64_t)
{
    switch (offset) {
    case kKick: {
        SiteLockGuard state(state_lock_);
        ++kicks_;
        SiteLockGuard backend(backend_lock_);  // state -> backend
        ++backend_work_;
        return MemTx::Ok;
    }
    case kAsync: completion_bh_->schedule(); return MemTx::Ok;
    default: return reserved_write(offset);
    }
}

void LockdepDemo::complete_backend_work()
{
    SiteLockGuard backend(backend_lock_);
    SiteLockGuard state(state_lock_);  // backend -> state: the inversion
    ++completions_;
}

void LockdepDemo::do_unrealize() { completion_bh_->cancel(); }

LockdepDemoPlug::LockdepDemoPlug(AddressSpace& as, AioContext& ctx) : as_(as), device_(make_object<LockdepDemo>(ctx))
{
    device_->realize();
    as_.add_region(kLockdepDemoBase, device_->mmio());
}

LockdepDemoPlug::~LockdepDemoPlug()
{
    as_.remove_region(device_->mmio());
    device_->unrealize();
}

}  // namespace locklab
