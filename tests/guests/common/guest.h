/* The guest runtime: what every test and benchmark guest includes.
 *
 * A guest defines   int guest_main(unsigned hartid)
 * and, to run on more than hart 0, GUEST_HARTS(n). crt0 starts guest_main on harts 0..n-1 (the
 * others park in a WFI loop). When hart 0 returns, the guest ends: 0 prints a PASS line and
 * writes the finisher's pass command, anything else prints a FAIL line and fails with that code.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layout.h"
#include "riscv.h"
#include "trap.h"
#include "virt.h"

int guest_main(unsigned hartid);
#define GUEST_HARTS(n) const unsigned guest_harts = (n)

/* Device-tree address the boot contract passed in a1 (hart 0's value). */
extern const void *boot_fdt;

/* Exit codes the runtime itself uses (a guest's own codes should avoid them). */
#define GUEST_FAIL_CHECK 1 /* a CHECK failed */
#define GUEST_FAIL_TRAP 2  /* a trap nobody expected */

/* The calling hart's id (crt0 keeps it in tp; valid in every mode). */
static inline unsigned hart_id(void)
{
    unsigned long id;
    __asm__("mv %0, tp" : "=r"(id));
    return (unsigned)id;
}

/* Finisher: end the guest. Codes are clamped to 1..255 (a process exit status). */
__attribute__((noreturn)) void guest_pass(void);
__attribute__((noreturn)) void guest_fail(unsigned code);

/* UART output. printf understands %d %u %x %p %s %c %% with optional 0, width and l/ll/z. */
void uart_putc(char c);
void uart_puts(const char *s);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);

/* Mutual exclusion between harts (amoswap.w.aq / amoswap.w.rl). */
typedef struct {
    volatile uint32_t locked;
} spinlock_t;
void spin_lock(spinlock_t *l);
void spin_unlock(spinlock_t *l);

/* Checks: a failure prints file, line, expression (and both values) and fails the guest. */
extern volatile uint32_t checks_passed;
__attribute__((noreturn)) void check_failed(const char *file, int line, const char *expr);
__attribute__((noreturn)) void check_failed_eq(const char *file, int line, const char *expr,
                                               uint64_t got, uint64_t want);
void check_passed(void);

#define CHECK(cond)                                      \
    do {                                                 \
        if (cond)                                        \
            check_passed();                              \
        else                                             \
            check_failed(__FILE_NAME__, __LINE__, #cond);     \
    } while (0)

#define CHECK_EQ(got, want)                                                  \
    do {                                                                     \
        uint64_t __got = (uint64_t)(got), __want = (uint64_t)(want);         \
        if (__got == __want)                                                 \
            check_passed();                                                  \
        else                                                                 \
            check_failed_eq(__FILE_NAME__, __LINE__, #got " == " #want, __got, __want); \
    } while (0)

/* The trap `rec` (a struct trap_record) must have the given cause and tval. */
#define CHECK_TRAP(rec, cause_, tval_)   \
    do {                                 \
        struct trap_record __r = (rec);  \
        CHECK_EQ(__r.cause, (cause_));   \
        CHECK_EQ(__r.tval, (tval_));     \
    } while (0)
