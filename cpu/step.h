// One instruction without the block cache or a translation: for code that straddles a page
// boundary or lies outside RAM. Shared by the interpreter (cpu/interpreter.cpp, where it lives) and
// the JIT (cpu/tcg/jit.cpp), so both execute such code the same way.
#pragma once

#include "cpu/hart.h"

namespace locklab::rv {

// Fetches the instruction at h.pc on its own (each parcel translated), executes it with the
// semantics of cpu/semantics.h, retires it or takes its exception, and after a SYSTEM operation
// takes an interrupt it unmasked. Returns whether the hart must wait (WFI).
bool step_uncached(Hart& h);

}  // namespace locklab::rv
