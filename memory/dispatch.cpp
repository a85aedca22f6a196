#include "memory/dispatch.h"

#include <optional>
#include <source_location>

#include "locking/lock_model.h"
#include "locking/trace.h"
#include "memory/lifetime_policy.h"
#include "qom/device.h"

namespace locklab {
namespace {

// Owner-less (board-level) regions have no device and so no LockDomain of their own. They share
// this one, which is not BQL-free: every lock model serialises their callbacks (the BQL for
// `global`), as QEMU's TCG does for every MMIO region.
LockDomain& board_lock_domain()
{
    static LockDomain d("board");
    return d;
}

MemTx call_region(const MemoryRegion& mr, hwaddr offset, MemAccess& a)
{
    TraceMmioScope trace(mr.name(), a.addr, a.size, a.is_write);  // --trace: one event per callback
    return a.is_write ? mr.write(offset, a.size, a.value) : mr.read(offset, a.size, a.value);
}

}  // namespace

// The DeviceGone check comes after step 5 on purpose: unrealize() runs holding the lock the model
// takes for that device (the BQL under `global`), so once we hold it the answer stays true until we
// release it. Checked before the lock it could change while we waited.
MemTx dispatch_mmio(AddressSpace& as, MemAccess& a)
{
    if (!valid_access_size(a.size)) return MemTx::AccessError;
    std::optional<RcuReadGuard> rcu(std::in_place);               // 1. enter RCU read section
    const FlatRange* r = as.view()->lookup(a.addr);               // 2. look up in the FlatView
    if (!r) return MemTx::Unassigned;
    if (r->mr->is_ram()) return MemTx::AccessError;               // RAM is the caller's fast path
    // Bytes past the range's end are not this region's (another region, or none, has them).
    if (a.size > r->size - (a.addr - r->base)) return MemTx::AccessError;
    const MemoryRegion& mr = *r->mr;                              // r itself dies with the section
    const hwaddr offset = a.addr - r->base + r->offset_in_region;

    Device* owner = mr.owner();
    DevicePin pin(owner, rcu);                                    // 3, 4. pin the owner
    if (pin.gone()) return MemTx::DeviceGone;
    LockHold hold = current_lock_model().enter(owner ? owner->lock_domain() : board_lock_domain(),
                                               std::source_location::current());  // 5. lock model
    if (hold.refused()) return MemTx::AccessError;                // would break the lock order
    if (!owner) return call_region(mr, offset, a);                // no device: no guard to check
    if (!owner->realized()) return MemTx::DeviceGone;             // unplugged while we waited
    ReentrancyHold engaged(owner->guard(), ReentrancyHold::Serialised{});  // 6. guard (under 5.)
    if (!engaged) return MemTx::Reentrant;
    return call_region(mr, offset, a);                            // 6. the device callback
}                                  // 7, 8: guard, then hold, then pin released (reverse order)

}  // namespace locklab
