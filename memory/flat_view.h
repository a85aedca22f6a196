// FlatView: an immutable, sorted, non-overlapping snapshot of an address space, rendered from its
// regions by priority. Published under RCU by AddressSpace; never modified after construction.
// It holds a reference on every owning device, so a device stays alive for as long as any vCPU can
// still see it in a view (QEMU's design; the snapshot-ref lifetime policy relies on it). Its
// destructor drops those references without reading the regions again: an owner-less region may be
// destroyed as soon as it is unmapped, while old views listing it still wait for their grace period.
#pragma once

#include <cstdint>
#include <vector>

#include "memory/memory_region.h"

namespace locklab {

class Device;

struct FlatRange {
    hwaddr base = 0;
    uint64_t size = 0;
    MemoryRegion* mr = nullptr;
    hwaddr offset_in_region = 0;  // guest address `base` maps to this offset of `mr`

    bool contains(hwaddr a) const { return a - base < size; }
};

// A region as placed in the address space (input to rendering).
struct PlacedRegion {
    hwaddr base = 0;
    MemoryRegion* mr = nullptr;
    int priority = 0;
};

class FlatView {
public:
    explicit FlatView(const std::vector<PlacedRegion>& regions);
    ~FlatView();
    FlatView(const FlatView&) = delete;
    FlatView& operator=(const FlatView&) = delete;

    // The range containing `addr`, or null. O(log n), but first a look at the range this thread
    // found last in this view (a vCPU hammering one device finds it there: its store and load slow
    // paths look the address up twice per access, RAM check and dispatch).
    const FlatRange* lookup(hwaddr addr) const;
    const std::vector<FlatRange>& ranges() const { return ranges_; }
    // Unique per view, never reused (unlike the address of a freed view): what the per-thread
    // last-hit cache is validated by.
    uint64_t generation() const { return generation_; }

private:
    const uint64_t generation_;      // immutable
    std::vector<FlatRange> ranges_;  // immutable; sorted by base
    std::vector<Device*> owners_;    // immutable: one reference held per range with an owner
};

}  // namespace locklab
