/* The QEMU `virt` board as a guest sees it (-bios none): device addresses and accessors. */
#pragma once

#include <stdint.h>

#define VIRT_TEST_BASE 0x00100000ul  /* sifive_test finisher */
#define VIRT_CLINT_BASE 0x02000000ul
#define VIRT_UART_BASE 0x10000000ul  /* NS16550A, byte registers */
#define VIRT_DRAM_BASE 0x80000000ul
#define VIRT_TIMEBASE_HZ 10000000ul  /* mtime and the time CSR */

/* finisher commands: low 16 bits status, high 16 bits exit code */
#define FINISHER_FAIL 0x3333u
#define FINISHER_PASS 0x5555u

/* CLINT: msip (4 bytes per hart), mtimecmp (8 bytes per hart), mtime */
static inline volatile uint32_t *clint_msip(unsigned hart)
{
    return (volatile uint32_t *)(VIRT_CLINT_BASE + 4ul * hart);
}
static inline volatile uint64_t *clint_mtimecmp(unsigned hart)
{
    return (volatile uint64_t *)(VIRT_CLINT_BASE + 0x4000ul + 8ul * hart);
}
static inline uint64_t clint_mtime(void) { return *(volatile uint64_t *)(VIRT_CLINT_BASE + 0xbff8ul); }

/* the time CSR: the same 10 MHz counter as mtime */
static inline uint64_t rdtime(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}
