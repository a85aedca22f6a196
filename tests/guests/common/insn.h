/* One instruction at a time from C: each macro emits exactly the named instruction (inline
 * assembly, so the compiler cannot fold, reorder or substitute it) and yields its result. */
#pragma once

#include <stdint.h>

/* rd = op rs1, rs2 */
#define RR(op, a, b)                                                                          \
    ({                                                                                        \
        uint64_t __rd;                                                                        \
        __asm__ volatile(op " %0, %1, %2" : "=r"(__rd) : "r"((uint64_t)(a)), "r"((uint64_t)(b))); \
        __rd;                                                                                 \
    })

/* rd = op rs1, imm (imm a compile-time constant) */
#define RI(op, a, imm)                                                                  \
    ({                                                                                  \
        uint64_t __rd;                                                                  \
        __asm__ volatile(op " %0, %1, %2" : "=r"(__rd) : "r"((uint64_t)(a)), "i"(imm)); \
        __rd;                                                                           \
    })

/* rd = op imm (lui, auipc) */
#define RU(op, imm)                                           \
    ({                                                        \
        uint64_t __rd;                                        \
        __asm__ volatile(op " %0, %1" : "=r"(__rd) : "i"(imm)); \
        __rd;                                                 \
    })

/* rd = load op offset(addr) */
#define LOAD(op, addr)                                                                  \
    ({                                                                                  \
        uint64_t __rd;                                                                  \
        __asm__ volatile(op " %0, 0(%1)" : "=r"(__rd) : "r"((uintptr_t)(addr)) : "memory"); \
        __rd;                                                                           \
    })

/* store op value, 0(addr) */
#define STORE(op, addr, value) \
    __asm__ volatile(op " %0, 0(%1)" ::"r"((uint64_t)(value)), "r"((uintptr_t)(addr)) : "memory")

/* rd = amo op rs2, (addr): amoswap.w, amoadd.d.aqrl, ... */
#define AMO(op, addr, value)                                                                     \
    ({                                                                                           \
        uint64_t __rd;                                                                           \
        __asm__ volatile(op " %0, %1, (%2)"                                                      \
                         : "=&r"(__rd)                                                           \
                         : "r"((uint64_t)(value)), "r"((uintptr_t)(addr))                        \
                         : "memory");                                                            \
        __rd;                                                                                    \
    })
