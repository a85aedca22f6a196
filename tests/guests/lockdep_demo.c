/* Drives locklab's lockdep demo device (devices/lockdep_demo.h, mapped with --lockdep-demo) through
 * both of its paths: a KICK (vCPU: state lock, then backend lock) and an ASYNC backend completion
 * (main loop: backend lock, then state lock). One after the other, so nothing can deadlock; run
 * with --lockdep, locklab reports the inverted order. Not a QEMU guest: QEMU has no such device. */
#include "guest.h"

#define DEMO_BASE 0x00103000ul
#define DEMO_REG(off) (*(volatile uint32_t *)(DEMO_BASE + (off)))
#define DEMO_MAGIC 0x00
#define DEMO_KICK 0x04
#define DEMO_ASYNC 0x08
#define DEMO_COMPLETIONS 0x0c
#define DEMO_KICKS 0x10
#define DEMO_MAGIC_VALUE 0x4c4b4450u

/* Spins until the main loop has run `n` completions; 0 if it does not within ~10^8 reads. */
static int wait_completions(uint32_t n)
{
    for (unsigned long i = 0; i < 100000000ul; ++i)
        if (DEMO_REG(DEMO_COMPLETIONS) >= n) return 1;
    return 0;
}

int guest_main(unsigned hartid)
{
    (void)hartid;
    CHECK_EQ(DEMO_REG(DEMO_MAGIC), DEMO_MAGIC_VALUE);

    DEMO_REG(DEMO_KICK) = 1; /* state -> backend */
    CHECK_EQ(DEMO_REG(DEMO_KICKS), 1);

    DEMO_REG(DEMO_ASYNC) = 1; /* backend -> state, on the main loop */
    CHECK(wait_completions(1));
    CHECK_EQ(DEMO_REG(DEMO_COMPLETIONS), 1);

    /* Again: the same orders, nothing new to report. */
    DEMO_REG(DEMO_KICK) = 1;
    DEMO_REG(DEMO_ASYNC) = 1;
    CHECK(wait_completions(2));
    CHECK_EQ(DEMO_REG(DEMO_KICKS), 2);

    printf("lockdep demo: kicks %u, completions %u\n", (unsigned)DEMO_REG(DEMO_KICKS),
           (unsigned)DEMO_REG(DEMO_COMPLETIONS));
    return 0;
}
