// The MMIO dispatch path: the one place where lookup -> ref -> lock -> guard -> dispatch ->
// release -> unref lives (DESIGN.md, "The MMIO dispatch path").
#pragma once

#include "memory/address_space.h"
#include "memory/mem_tx.h"

namespace locklab {

// Performs one non-RAM access. Never throws for guest-caused errors: the result says what happened.
MemTx dispatch_mmio(AddressSpace& as, MemAccess& a);

}  // namespace locklab
