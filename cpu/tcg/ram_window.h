// The RAM window: the one guest-physical RAM range that blocks translated for untranslated data
// accesses (effective data privilege M: virtual = physical; no PMP entries) load from without a TLB
// lookup. A load whose address lies inside is one bounds compare and a host load (libriscv's "flat
// arena", cpu/tcg/backend_x64.cpp); anything outside (MMIO, other RAM, unassigned) takes the TLB
// path, so every device access still goes through the dispatch path.
//
// Valid for as long as the address space's view maps the range as this RAM. RAM is never unmapped
// while the machine runs; a view change (hot-plug) flushes every hart's translations
// (system/vcpu_flush.h), and the engine takes the window again at every flush.
#pragma once

#include <cstdint>

namespace locklab {
class AddressSpace;
}

namespace locklab::rv::tcg {

struct RamWindow {
    uint64_t base = 0;  // guest-physical
    uint64_t size = 0;  // 0: no window (every access goes through the TLB)
    uintptr_t host_addend = 0;  // host address = guest-physical address + host_addend

    // Whether [pa, pa + len) lies wholly inside.
    bool contains(uint64_t pa, uint64_t len) const { return len <= size && pa - base <= size - len; }
    bool operator==(const RamWindow&) const = default;
};

// The largest RAM range of `as`'s current view (its lowest if several are as large), or no window.
// Any thread (takes its own RCU read section).
RamWindow find_ram_window(const AddressSpace& as);

}  // namespace locklab::rv::tcg
