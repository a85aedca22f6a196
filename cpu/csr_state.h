// CSR storage of one hart (home thread only). Owned by the privileged-architecture code
// (csr.cpp, trap.cpp, counters.cpp); mip lives in Hart as an atomic because devices set it from
// other threads. Every field holds a legal (WARL-legalised) value; bit layouts in cpu/csr_defs.h.
#pragma once

#include <cstdint>

namespace locklab::rv {

// One machine counter (mcycle or minstret) as an offset against Hart::instret: while counting,
// value = value_at_mark + (instret - instret_at_mark); while inhibited (mcountinhibit) it stays
// value_at_mark. See cpu/counters.h.
struct CounterState {
    uint64_t value_at_mark = 0;
    uint64_t instret_at_mark = 0;
};

struct CsrState {
    uint64_t mstatus = 0;       // SD is never stored (FS/XS/VS are 0, so SD reads 0)
    uint64_t misa = 0;
    uint64_t medeleg = 0, mideleg = 0;
    uint64_t mie = 0;
    uint64_t mtvec = 0, stvec = 0;
    uint64_t mscratch = 0, sscratch = 0;
    uint64_t mepc = 0, sepc = 0;
    uint64_t mcause = 0, scause = 0;
    uint64_t mtval = 0, stval = 0;
    uint64_t mcounteren = 0, scounteren = 0, mcountinhibit = 0;
    uint64_t satp = 0;
    uint64_t menvcfg = 0, senvcfg = 0;
    CounterState mcycle, minstret;
};

}  // namespace locklab::rv
