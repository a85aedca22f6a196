// Turns mmio-scratch's quarantine of freed instances on for one test (so a test can see when a
// device is freed: it lands in the quarantine) and releases it afterwards; the unplug-audit counts
// are reset on both ends.
#pragma once

#include "devices/mmio_scratch.h"
#include "devices/unplug_audit.h"
#include "locking/rcu.h"

namespace locklab::test {

class ScratchQuarantine {
public:
    ScratchQuarantine()
    {
        rcu_barrier();  // devices earlier tests released are freed before the quarantine starts
        unplug_audit::reset_counts();
        MmioScratch::set_quarantine(true);
    }
    ~ScratchQuarantine()
    {
        MmioScratch::set_quarantine(false);
        MmioScratch::release_quarantine();
        unplug_audit::reset_counts();
    }
    ScratchQuarantine(const ScratchQuarantine&) = delete;
    ScratchQuarantine& operator=(const ScratchQuarantine&) = delete;
};

}  // namespace locklab::test
