#include "memory/dispatch.h"

#include <optional>

#include "locking/lock_model.h"
#include "memory/lifetime_policy.h"
#include "qom/device.h"

namespace locklab {

MemTx dispatch_mmio(AddressSpace& as, MemAccess& a)
{
    std::optional<RcuReadGuard> rcu(std::in_place);               // 1. enter RCU read section
    const FlatRange* r = as.view()->lookup(a.addr);               // 2. look up in the FlatView
    if (!r) return MemTx::Unassigned;
    MemoryRegion* mr = r->mr;
    const hwaddr offset = a.addr - r->base + r->offset_in_region;
    if (mr->is_ram()) return MemTx::AccessError;                  // RAM is the caller's fast path

    Device* owner = mr->owner();
    if (!owner) {  // board-level region without a device: no lifetime or locking concerns
        return a.is_write ? mr->write(offset, a.size, a.value) : mr->read(offset, a.size, a.value);
    }
    DevicePin pin(owner, rcu);                                    // 3, 4. pin the owner
    if (pin.gone()) return MemTx::DeviceGone;
    LockHold hold = current_lock_model().enter(owner->lock_domain());  // 5. lock model
    if (!owner->realized()) return MemTx::DeviceGone;              // unplugged while we waited
    ReentrancyHold engaged(owner->guard());                       // 6. re-entrancy guard
    if (!engaged) return MemTx::Reentrant;
    return a.is_write ? mr->write(offset, a.size, a.value)        // 6. the device callback
                      : mr->read(offset, a.size, a.value);
}                                                                 // 7, 8: hold, then pin released

}  // namespace locklab
