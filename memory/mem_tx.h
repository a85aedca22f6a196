// Results and descriptions of physical memory transactions.
#pragma once

#include <cstdint>

namespace locklab {

using hwaddr = uint64_t;  // guest physical address

enum class MemTx : uint8_t {
    Ok,
    Unassigned,   // nothing mapped there: the CPU raises an access fault
    AccessError,  // the device refused (bad size/alignment, register not writable, ...)
    Reentrant,    // refused by the device's re-entrancy guard
    DeviceGone,   // the device was unrealized while the access was in flight
};

const char* to_string(MemTx t);

// Accesses are 1, 2, 4 or 8 bytes; anything else is refused with MemTx::AccessError.
constexpr bool valid_access_size(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

// One MMIO access as it travels the dispatch path.
struct MemAccess {
    hwaddr addr = 0;
    unsigned size = 0;     // 1, 2, 4 or 8
    bool is_write = false;
    uint64_t value = 0;    // in: the value written; out: the value read
    int requester = -1;    // hart id, or -1 for DMA / the monitor
};

}  // namespace locklab
