// LockdepDemo (`--lockdep-demo`): a tiny MMIO device with a latent lock-order inversion, so that
// `--lockdep` has something real to find. The device has two locks of its own, each its own class:
//
//   lockdep-demo.state     the device's register state
//   lockdep-demo.backend   a (pretend) backend the device hands work to
//
// A guest write to KICK runs, on the vCPU, state -> backend (the handler updates its state, then
// pushes the kick to the backend). A write to ASYNC schedules a "backend completion" on the main
// loop, which runs backend -> state (the backend finishes, then updates the device's state): the
// opposite order. Both paths also run under the device lock of the active lock model (the MMIO
// dispatch path, and run_async), which is what keeps them from ever deadlocking here; take that
// away and a KICK racing a completion deadlocks. lockdep reports the inversion the first time the
// second path runs, whether or not the two ever overlapped.
//
// Registers (32-bit, at kLockdepDemoBase):
//   0x00 MAGIC        read-only: kLockdepDemoMagic
//   0x04 KICK         write: run the vCPU path (any value)
//   0x08 ASYNC        write: schedule one backend completion (any value)
//   0x0c COMPLETIONS  read-only: backend completions run so far
//   0x10 KICKS        read-only: kicks run so far
// Anything else is a reserved register (reads 0, writes ignored, guest error logged once).
#pragma once

#include <cstdint>
#include <memory>

#include "devices/mmio_device.h"
#include "locking/instrumented_lock.h"
#include "loop/aio_context.h"
#include "memory/address_space.h"
#include "qom/object.h"

namespace locklab {

// A free hole of QEMU's virt map, between the hot-plug controller (0x0010'2000) and the CLINT.
inline constexpr uint64_t kLockdepDemoBase = 0x0010'3000, kLockdepDemoSize = 0x1000;
inline constexpr uint32_t kLockdepDemoMagic = 0x4c4b4450;  // "PDKL" little-endian: "LKDP"

class LockdepDemo final : public MmioDevice {
public:
    enum Reg : hwaddr { kMagic = 0x00, kKick = 0x04, kAsync = 0x08, kCompletions = 0x0c, kKicks = 0x10 };

    explicit LockdepDemo(AioContext& ctx);

private:
    MemTx mmio_read(hwaddr offset, unsigned size, uint64_t& value) override;
    MemTx mmio_write(hwaddr offset, unsigned size, uint64_t value) override;
    void do_unrealize() override;
    void complete_backend_work();  // the main-loop path: backend -> state

    InstrumentedLock state_lock_{"lockdep-demo.state"};
    InstrumentedLock backend_lock_{"lockdep-demo.backend"};
    uint32_t kicks_ = 0;         // protected by state_lock_
    uint32_t completions_ = 0;   // protected by state_lock_
    uint32_t backend_work_ = 0;  // protected by backend_lock_: kicks the backend has seen
    std::unique_ptr<BottomHalf> completion_bh_;  // immutable after construction (thread-safe itself)
};

// Maps a LockdepDemo at kLockdepDemoBase for as long as it lives (Machine, for --lockdep-demo).
class LockdepDemoPlug {
public:
    LockdepDemoPlug(AddressSpace& as, AioContext& ctx);
    ~LockdepDemoPlug();
    LockdepDemoPlug(const LockdepDemoPlug&) = delete;
    LockdepDemoPlug& operator=(const LockdepDemoPlug&) = delete;

private:
    AddressSpace& as_;
    Ref<LockdepDemo> device_;
};

}  // namespace locklab
