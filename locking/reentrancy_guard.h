// Per-device re-entrancy guard (QEMU's MemReentrancyGuard).
//
// While a device's MMIO callback or one of its guarded bottom halves runs, the device is "engaged".
// An MMIO access that arrives while it is engaged (device -> DMA -> its own registers) is refused
// with an access error instead of recursing into the device.
#pragma once

#include <atomic>

namespace locklab {

class ReentrancyGuard {
public:
    // Try to engage. Returns false (and changes nothing) if already engaged.
    bool try_engage() { return !engaged_.exchange(true, std::memory_order_acquire); }
    void disengage() { engaged_.store(false, std::memory_order_release); }
    bool engaged() const { return engaged_.load(std::memory_order_relaxed); }

    // Set unconditionally, returning the previous value (used by guarded BHs, which restore it).
    bool exchange(bool v) { return engaged_.exchange(v, std::memory_order_acq_rel); }

private:
    // atomic: set and cleared by whichever thread dispatches into the device; the device's lock
    // model serialises dispatches, the atomic makes the check itself race-free.
    std::atomic<bool> engaged_{false};
};

// RAII: engages the guard if it is free; `if (!hold)` means the access must be refused.
class ReentrancyHold {
public:
    explicit ReentrancyHold(ReentrancyGuard& g) : g_(g), ok_(g.try_engage()) {}
    ~ReentrancyHold() { if (ok_) g_.disengage(); }
    explicit operator bool() const { return ok_; }
    ReentrancyHold(const ReentrancyHold&) = delete;
    ReentrancyHold& operator=(const ReentrancyHold&) = delete;

private:
    ReentrancyGuard& g_;
    bool ok_;
};

}  // namespace locklab
