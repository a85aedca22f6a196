// TestDevice: a Device with one MMIO region of plain byte registers (a read returns what was last
// written), a hook that runs inside every callback so a test can look at the world from there
// (locks held, reference count, RCU state) or act (re-enter the bus), and a flag its destructor sets.
#pragma once

#include <atomic>
#include <cstring>
#include <functional>
#include <vector>

#include "memory/memory_region.h"
#include "qom/device.h"

namespace locklab::test {

class TestDevice final : public Device {
public:
    // `limits`: min_access, max_access and unaligned for the region (its callbacks are ignored).
    explicit TestDevice(uint64_t size = 0x100, MmioOps limits = {})
        : Device("test-device"), regs_(size), mmio_(this, "test-mmio", size, ops_from(limits))
    {
    }
    const char* type_name() const override { return "test-device"; }

    MemoryRegion& mmio() { return mmio_; }

    // Runs on the dispatching thread at the start of each callback. Set before the device is mapped.
    std::function<void(TestDevice&)> in_callback;
    // Set true when the last reference is dropped. Set before the device is shared.
    std::atomic<bool>* destroyed = nullptr;
    int callbacks() const { return callbacks_.load(); }

private:
    ~TestDevice() override
    {
        if (destroyed) destroyed->store(true);
    }

    MmioOps ops_from(MmioOps o)
    {
        o.read = [this](hwaddr off, unsigned size, uint64_t& v) {
            enter();
            v = 0;
            std::memcpy(&v, &regs_[off], size);  // little-endian host
            return MemTx::Ok;
        };
        o.write = [this](hwaddr off, unsigned size, uint64_t v) {
            enter();
            std::memcpy(&regs_[off], &v, size);
            return MemTx::Ok;
        };
        return o;
    }
    void enter()
    {
        callbacks_.fetch_add(1);
        if (in_callback) in_callback(*this);
    }

    std::vector<uint8_t> regs_;          // protected by the lock model (dispatch serialises callbacks)
    std::atomic<int> callbacks_{0};      // atomic: counted on dispatching threads, read by the test
    MemoryRegion mmio_;                  // immutable after construction
};

}  // namespace locklab::test
