/* RISC-V privileged-architecture constants and CSR access, as the privileged spec names them. */
#pragma once

#include <stdint.h>

/* mstatus / sstatus fields */
#define MSTATUS_SIE (1ull << 1)
#define MSTATUS_MIE (1ull << 3)
#define MSTATUS_SPIE (1ull << 5)
#define MSTATUS_UBE (1ull << 6)
#define MSTATUS_MPIE (1ull << 7)
#define MSTATUS_SPP (1ull << 8)
#define MSTATUS_MPP (3ull << 11)
#define MSTATUS_MPRV (1ull << 17)
#define MSTATUS_SUM (1ull << 18)
#define MSTATUS_MXR (1ull << 19)
#define MSTATUS_TVM (1ull << 20)
#define MSTATUS_TW (1ull << 21)
#define MSTATUS_TSR (1ull << 22)
#define MSTATUS_UXL (3ull << 32)
#define MSTATUS_SXL (3ull << 34)
#define MSTATUS_MPP_SHIFT 11

/* privilege levels (mstatus.MPP encoding) */
#define PRV_U 0
#define PRV_S 1
#define PRV_M 3

/* interrupt numbers: bit positions in mip/mie; mcause = MCAUSE_INTERRUPT | number */
#define IRQ_SSI 1
#define IRQ_MSI 3
#define IRQ_STI 5
#define IRQ_MTI 7
#define IRQ_SEI 9
#define IRQ_MEI 11
#define MIP_SSIP (1ull << IRQ_SSI)
#define MIP_MSIP (1ull << IRQ_MSI)
#define MIP_STIP (1ull << IRQ_STI)
#define MIP_MTIP (1ull << IRQ_MTI)
#define MIP_SEIP (1ull << IRQ_SEI)
#define MIP_MEIP (1ull << IRQ_MEI)
#define MCAUSE_INTERRUPT (1ull << 63)

/* synchronous exception causes */
#define CAUSE_MISALIGNED_FETCH 0
#define CAUSE_FETCH_ACCESS 1
#define CAUSE_ILLEGAL_INSTRUCTION 2
#define CAUSE_BREAKPOINT 3
#define CAUSE_MISALIGNED_LOAD 4
#define CAUSE_LOAD_ACCESS 5
#define CAUSE_MISALIGNED_STORE 6 /* also AMO */
#define CAUSE_STORE_ACCESS 7     /* also AMO */
#define CAUSE_USER_ECALL 8
#define CAUSE_SUPERVISOR_ECALL 9
#define CAUSE_MACHINE_ECALL 11
#define CAUSE_FETCH_PAGE_FAULT 12
#define CAUSE_LOAD_PAGE_FAULT 13
#define CAUSE_STORE_PAGE_FAULT 15 /* also AMO */

/* counter-enable bits (mcounteren, scounteren) */
#define COUNTEREN_CY (1u << 0)
#define COUNTEREN_TM (1u << 1)
#define COUNTEREN_IR (1u << 2)

/* misa */
#define MISA_MXL_SHIFT 62
#define MISA_EXT(letter) (1ull << ((letter) - 'A'))

/* satp (Sv39) */
#define SATP_MODE_SV39 (8ull << 60)
#define SATP_PPN(pa) ((uint64_t)(pa) >> 12)

/* Sv39 page-table entries */
#define PTE_V (1ull << 0)
#define PTE_R (1ull << 1)
#define PTE_W (1ull << 2)
#define PTE_X (1ull << 3)
#define PTE_U (1ull << 4)
#define PTE_G (1ull << 5)
#define PTE_A (1ull << 6)
#define PTE_D (1ull << 7)
#define PTE_PPN_SHIFT 10
#define PTE_LEAF(pa, flags) ((((uint64_t)(pa) >> 12) << PTE_PPN_SHIFT) | (flags) | PTE_V)
#define PTE_TABLE(pa) ((((uint64_t)(pa) >> 12) << PTE_PPN_SHIFT) | PTE_V)

#define csr_read(csr)                                          \
    ({                                                         \
        uint64_t __v;                                          \
        __asm__ volatile("csrr %0, " #csr : "=r"(__v)::"memory"); \
        __v;                                                   \
    })
#define csr_write(csr, val) __asm__ volatile("csrw " #csr ", %0" ::"r"((uint64_t)(val)) : "memory")
#define csr_set(csr, bits) __asm__ volatile("csrs " #csr ", %0" ::"r"((uint64_t)(bits)) : "memory")
#define csr_clear(csr, bits) __asm__ volatile("csrc " #csr ", %0" ::"r"((uint64_t)(bits)) : "memory")
#define csr_swap(csr, val)                                                                \
    ({                                                                                    \
        uint64_t __v;                                                                     \
        __asm__ volatile("csrrw %0, " #csr ", %1" : "=r"(__v) : "r"((uint64_t)(val)) : "memory"); \
        __v;                                                                              \
    })

static inline void fence(void) { __asm__ volatile("fence rw, rw" ::: "memory"); }
static inline void fence_i(void) { __asm__ volatile("fence.i" ::: "memory"); }
static inline void sfence_vma(void) { __asm__ volatile("sfence.vma" ::: "memory"); }
static inline void wfi(void) { __asm__ volatile("wfi" ::: "memory"); }
