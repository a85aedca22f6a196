#include "cpu/tcg/ram_window.h"

#include "locking/rcu.h"
#include "memory/address_space.h"

namespace locklab::rv::tcg {

RamWindow find_ram_window(const AddressSpace& as)
{
    RcuReadGuard rcu;
    RamWindow w;
    for (const FlatRange& r : as.view()->ranges()) {
        if (!r.mr->is_ram() || r.size <= w.size) continue;
        w.base = r.base;
        w.size = r.size;
        w.host_addend = reinterpret_cast<uintptr_t>(r.mr->host() + r.offset_in_region) - r.base;
    }
    return w;
}

}  // namespace locklab::rv::tcg
