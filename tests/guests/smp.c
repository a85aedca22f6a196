/* Four harts: every hart starts at the entry with a0 = its mhartid; they rendezvous at barriers
 * built on amoadd; a ring of IPIs through the CLINT's msip reaches each hart exactly once; a
 * shared counter updated with amoadd and a plain counter protected by an LR/SC spin lock both
 * come out exact; a message published with amoswap.rl is seen complete after an acquire; and a
 * store by another hart breaks an LR reservation. Only hart 0 prints, so the output is fixed. */
#include "guest.h"
#include "insn.h"

#define HARTS 4
GUEST_HARTS(HARTS);

#define AMO_ROUNDS 5000
#define LOCK_ROUNDS 2000
#define START_TIMEOUT (5 * VIRT_TIMEBASE_HZ)

static volatile uint32_t arrived;                          /* atomic add only */
static volatile uint32_t barrier_count, barrier_generation; /* atomics, see barrier() */

/* Sense-reversing barrier for all HARTS harts. */
static void barrier(void)
{
    uint32_t generation = __atomic_load_n(&barrier_generation, __ATOMIC_ACQUIRE);
    if (__atomic_add_fetch(&barrier_count, 1, __ATOMIC_ACQ_REL) == HARTS) {
        barrier_count = 0;
        __atomic_store_n(&barrier_generation, generation + 1, __ATOMIC_RELEASE);
    } else {
        while (__atomic_load_n(&barrier_generation, __ATOMIC_ACQUIRE) == generation)
            ;
    }
}

/* ---- IPIs ---- */
static volatile uint32_t ipis[HARTS]; /* [h]: written by hart h's trap handler only */

static bool on_ipi(struct trap_frame *f)
{
    if (f->cause != (MCAUSE_INTERRUPT | IRQ_MSI))
        return false;
    *clint_msip(hart_id()) = 0;
    ipis[hart_id()]++;
    return true;
}

static void ipi_ring(unsigned me)
{
    csr_write(mie, MIP_MSIP);
    barrier();
    *clint_msip((me + 1) % HARTS) = 1;
    /* MIE stays off while deciding to sleep: with it on, the IPI could be taken between the check
     * and the WFI, which would then wait for an interrupt that already came (a hang seen on a
     * loaded host). WFI wakes on the pending MSIP with MIE off; opening MIE takes it. */
    while (ipis[me] == 0) {
        wfi();
        csr_set(mstatus, MSTATUS_MIE);
        csr_clear(mstatus, MSTATUS_MIE);
    }
    csr_write(mie, 0);
    barrier();
    CHECK_EQ(ipis[me], 1);
}

/* ---- counters ---- */
static volatile uint64_t amo_counter;   /* amoadd only */
static volatile uint64_t plain_counter; /* protected by lock_word */
static volatile uint32_t lock_word;     /* LR/SC lock: 0 free, 1 held */

static void lrsc_lock(volatile uint32_t *lock)
{
    uint32_t busy, failed;
    __asm__ volatile("1: lr.w.aq %0, (%2)\n\t"
                     "bnez %0, 1b\n\t"
                     "sc.w %1, %3, (%2)\n\t"
                     "bnez %1, 1b"
                     : "=&r"(busy), "=&r"(failed)
                     : "r"(lock), "r"(1)
                     : "memory");
}

static void lrsc_unlock(volatile uint32_t *lock)
{
    __asm__ volatile("amoswap.w.rl zero, zero, (%0)" ::"r"(lock) : "memory");
}

static void counters(void)
{
    for (int i = 0; i < AMO_ROUNDS; i++)
        AMO("amoadd.d", &amo_counter, 1);
    for (int i = 0; i < LOCK_ROUNDS; i++) {
        lrsc_lock(&lock_word);
        plain_counter = plain_counter + 1; /* a plain load and store: only the lock protects it */
        lrsc_unlock(&lock_word);
    }
    barrier();
    CHECK_EQ(amo_counter, (uint64_t)HARTS * AMO_ROUNDS);
    CHECK_EQ(plain_counter, (uint64_t)HARTS * LOCK_ROUNDS);
}

/* ---- message passing: hart 1 publishes, hart 2 consumes ---- */
static volatile uint64_t message[16];   /* written by hart 1 before it releases message_ready */
static volatile uint32_t message_ready; /* amoswap.rl by hart 1, amoor.aq by hart 2 */

static void message_passing(unsigned me)
{
    if (me == 1) {
        for (unsigned i = 0; i < 16; i++)
            message[i] = 0x1000 + i;
        AMO("amoswap.w.rl", &message_ready, 1);
    } else if (me == 2) {
        while (AMO("amoor.w.aq", &message_ready, 0) == 0)
            ;
        for (unsigned i = 0; i < 16; i++)
            CHECK_EQ(message[i], 0x1000 + i);
    }
    barrier();
}

/* ---- a store by another hart breaks the reservation: hart 3 holds it, hart 0 stores ---- */
static volatile uint64_t reserved; /* hart 3 holds a reservation on it, hart 0 stores to it */
static volatile uint64_t step;     /* hand-off between hart 3 and hart 0: atomic load/store */

static void reservation_broken(unsigned me)
{
    reserved = 10;
    barrier();
    if (me == 3) {
        uint64_t seen = LOAD("lr.d", &reserved);
        __atomic_store_n(&step, 1, __ATOMIC_RELEASE);
        while (__atomic_load_n(&step, __ATOMIC_ACQUIRE) != 2)
            ;
        uint64_t failed = AMO("sc.d", &reserved, seen + 100);
        CHECK(failed != 0);
        CHECK_EQ(reserved, 11);
    } else if (me == 0) {
        while (__atomic_load_n(&step, __ATOMIC_ACQUIRE) != 1)
            ;
        reserved = 11;
        __atomic_store_n(&step, 2, __ATOMIC_RELEASE);
    }
    barrier();
}

int guest_main(unsigned hartid)
{
    CHECK_EQ(csr_read(mhartid), hartid);
    __atomic_add_fetch(&arrived, 1, __ATOMIC_ACQ_REL);
    if (hartid == 0) {
        uint64_t deadline = clint_mtime() + START_TIMEOUT;
        while (arrived < HARTS && clint_mtime() < deadline)
            ;
        if (arrived < HARTS) {
            printf("only %u of %u harts started (run with -smp %u)\n", arrived, HARTS, HARTS);
            return 3;
        }
        printf("%u harts started\n", HARTS);
        trap_hook_m = on_ipi;
    }
    barrier();

    ipi_ring(hartid);
    counters();
    message_passing(hartid);
    reservation_broken(hartid);

    if (hartid == 0)
        printf("amoadd counter %lu, locked counter %lu\n", amo_counter, plain_counter);
    barrier();
    return 0;
}
