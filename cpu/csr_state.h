// CSR storage of one hart (home thread only). Owned by the privileged-architecture code
// (csr.cpp, trap.cpp); mip lives in Hart as an atomic because devices set it from other threads.
#pragma once

#include <cstdint>

namespace locklab::rv {

struct CsrState {
    uint64_t mstatus = 0;
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
};

}  // namespace locklab::rv
