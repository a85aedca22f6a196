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
    // As try_engage(), for a caller holding the lock that serialises every engagement of this guard
    // by other threads: the dispatch path (it holds what the device's lock model takes) and the
    // asynchronous work of MmioDevice::run_async (same lock). Under that lock only this thread can
    // change the flag, so a load and a store do what the exchange does, without its locked
    // read-modify-write (~10 ns on every MMIO access). A guarded BH of an AioContext engages the
    // guard with exchange() and without the device's lock: it is no lock against such callers.
    bool try_engage_serialised()
    {
        if (engaged_.load(std::memory_order_relaxed)) return false;
        engaged_.store(true, std::memory_order_relaxed);
        return true;
    }
    void disengage() { engaged_.store(false, std::memory_order_release); }  // a plain store on x86
    bool engaged() const { return engaged_.load(std::memory_order_relaxed); }

    // Set unconditionally, returning the previous value (used by guarded BHs, which restore it).
    bool exchange(bool v) { return engaged_.exchange(v, std::memory_order_acq_rel); }

private:
    // atomic: set and cleared by whichever thread dispatches into the device; the device's lock
    // model serialises dispatches (try_engage_serialised relies on it), the atomic makes the check
    // race-free for callers without that lock (guarded BHs, engaged() from any thread).
    std::atomic<bool> engaged_{false};
};

// RAII: engages the guard if it is free; `if (!hold)` means the access must be refused.
class ReentrancyHold {
public:
    explicit ReentrancyHold(ReentrancyGuard& g) : g_(g), ok_(g.try_engage()) {}
    // Engages with try_engage_serialised(): the caller holds the lock that serialises the guard.
    struct Serialised {};
    ReentrancyHold(ReentrancyGuard& g, Serialised) : g_(g), ok_(g.try_engage_serialised()) {}
    ~ReentrancyHold() { if (ok_) g_.disengage(); }
    explicit operator bool() const { return ok_; }
    ReentrancyHold(const ReentrancyHold&) = delete;
    ReentrancyHold& operator=(const ReentrancyHold&) = delete;

private:
    ReentrancyGuard& g_;
    bool ok_;
};

}  // namespace locklab
