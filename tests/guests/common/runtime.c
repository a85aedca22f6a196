/* Guest life cycle (guest_start, pass/fail through the finisher), checks and spin locks. */
#include "guest.h"

#ifndef GUEST_NAME
#define GUEST_NAME "guest"
#endif

__attribute__((weak)) const unsigned guest_harts = 1;
const void *boot_fdt;            /* written by hart 0 in crt0 before it releases the others */
volatile uint32_t checks_passed; /* any hart: atomic add only */

__attribute__((noreturn)) static void finisher_write(uint32_t command)
{
    fence();
    *(volatile uint32_t *)VIRT_TEST_BASE = command;
    for (;;)
        wfi();
}

void guest_pass(void) { finisher_write(FINISHER_PASS); }

void guest_fail(unsigned code)
{
    if (code == 0 || code > 255)
        code = 255;
    finisher_write((code << 16) | FINISHER_FAIL);
}

/* Called by crt0 on every hart the guest asked for; returning parks the hart. */
void guest_start(unsigned hartid)
{
    int rc = guest_main(hartid);
    if (hartid != 0)
        return;
    if (rc == 0) {
        printf("PASS %s (%u checks)\n", GUEST_NAME, (unsigned)checks_passed);
        guest_pass();
    }
    printf("FAIL %s: exit code %d\n", GUEST_NAME, rc);
    guest_fail((unsigned)rc);
}

void check_passed(void) { __atomic_fetch_add(&checks_passed, 1, __ATOMIC_RELAXED); }

void check_failed(const char *file, int line, const char *expr)
{
    printf("FAIL %s:%d: CHECK(%s) on hart %u\n", file, line, expr, hart_id());
    guest_fail(GUEST_FAIL_CHECK);
}

void check_failed_eq(const char *file, int line, const char *expr, uint64_t got, uint64_t want)
{
    printf("FAIL %s:%d: %s on hart %u: got 0x%lx, want 0x%lx\n", file, line, expr, hart_id(), got,
           want);
    guest_fail(GUEST_FAIL_CHECK);
}

void spin_lock(spinlock_t *l)
{
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
        while (l->locked)
            ;
}

void spin_unlock(spinlock_t *l) { __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE); }
