/* Interrupts from the CLINT: the machine timer (mtimecmp against mtime, level-triggered MTIP), a
 * supervisor timer delegated the way SBI firmware does it (M sets mip.STIP, S takes it and asks M
 * to clear it), machine software interrupts through msip, WFI waking on a pending enabled
 * interrupt even with mstatus.MIE = 0 (and then continuing without a trap), and M-level
 * interrupts preempting U-mode regardless of mstatus.MIE. */
#include "guest.h"

#define TIMEOUT_TICKS (2 * VIRT_TIMEBASE_HZ) /* give up on an interrupt after 2 s of mtime */
#define ECALL_CLEAR_STIP 0x5354              /* a7 of the S->M "clear my timer" ecall */

static volatile unsigned mti_taken, msi_taken, sti_taken;
static volatile uint64_t last_mepc, last_mpp;
static volatile bool forward_timer_to_s;

static bool m_handler(struct trap_frame *f)
{
    if (f->cause == (MCAUSE_INTERRUPT | IRQ_MTI)) {
        *clint_mtimecmp(hart_id()) = ~0ull; /* MTIP is a level: lower it */
        mti_taken++;
        last_mepc = f->epc;
        last_mpp = (f->status & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT;
        if (forward_timer_to_s)
            csr_set(mip, MIP_STIP);
        return true;
    }
    if (f->cause == (MCAUSE_INTERRUPT | IRQ_MSI)) {
        *clint_msip(hart_id()) = 0;
        msi_taken++;
        return true;
    }
    if (f->cause == CAUSE_SUPERVISOR_ECALL && f->x[17] == ECALL_CLEAR_STIP) {
        csr_clear(mip, MIP_STIP);
        f->epc += 4;
        return true;
    }
    return false;
}

static bool s_handler(struct trap_frame *f)
{
    if (f->cause != (MCAUSE_INTERRUPT | IRQ_STI))
        return false;
    register uint64_t a7 __asm__("a7") = ECALL_CLEAR_STIP;
    __asm__ volatile("ecall" ::"r"(a7) : "memory");
    sti_taken++;
    return true;
}

static bool wait_for(volatile unsigned *counter, unsigned value)
{
    uint64_t deadline = rdtime() + TIMEOUT_TICKS;
    while (*counter < value && rdtime() < deadline)
        ;
    return *counter >= value;
}

static void machine_timer(void)
{
    volatile uint64_t *cmp = clint_mtimecmp(0);

    /* MTIP follows mtime >= mtimecmp, whether or not the interrupt is enabled */
    csr_write(mie, 0);
    *cmp = clint_mtime();
    CHECK(csr_read(mip) & MIP_MTIP);
    *cmp = ~0ull;
    CHECK_EQ(csr_read(mip) & MIP_MTIP, 0);

    /* a deadline in the future fires once, with the interrupt cause */
    uint64_t start = clint_mtime();
    *cmp = start + 2000; /* 200 us */
    csr_write(mie, MIP_MTIP);
    csr_set(mstatus, MSTATUS_MIE);
    CHECK(wait_for(&mti_taken, 1));
    csr_clear(mstatus, MSTATUS_MIE);
    CHECK(clint_mtime() >= start + 2000);
    CHECK_EQ(mti_taken, 1);
    CHECK_EQ(last_mpp, PRV_M);
    csr_write(mie, 0);
}

/* U-mode: spin until the machine timer (handled in M) has fired; return where it interrupted. */
static long u_spin_until_timer(long target)
{
    while (mti_taken < (unsigned)target)
        ;
    return 0;
}

static void timer_preempts_user_mode(void)
{
    /* mstatus.MIE only masks M interrupts while in M: in U they are always enabled */
    csr_clear(mstatus, MSTATUS_MIE);
    csr_write(mie, MIP_MTIP);
    *clint_mtimecmp(0) = clint_mtime() + 1000;
    unsigned before = mti_taken;
    CHECK_EQ(run_in_mode(PRV_U, u_spin_until_timer, before + 1, 0), 0);
    CHECK_EQ(mti_taken, before + 1);
    CHECK_EQ(last_mpp, PRV_U);
    csr_write(mie, 0);
}

/* S-mode: enable the supervisor timer and wait for it (delivered by M through STIP). */
static long s_wait_for_timer(long unused)
{
    (void)unused;
    csr_set(sie, MIP_STIP);
    csr_set(sstatus, MSTATUS_SIE);
    bool ok = wait_for(&sti_taken, 1);
    csr_clear(sstatus, MSTATUS_SIE);
    return ok;
}

static void supervisor_timer(void)
{
    csr_write(stvec, (uint64_t)trap_entry_s);
    csr_write(mideleg, MIP_STIP);
    csr_write(mie, MIP_MTIP | MIP_STIP);
    forward_timer_to_s = true;
    *clint_mtimecmp(0) = clint_mtime() + 1000;
    CHECK_EQ(run_in_mode(PRV_S, s_wait_for_timer, 0, 0), 1);
    CHECK_EQ(sti_taken, 1);
    CHECK_EQ(csr_read(mip) & MIP_STIP, 0); /* cleared by M on S's request */
    forward_timer_to_s = false;
    csr_write(mie, 0);
    csr_write(mideleg, 0);
}

static void software_interrupt(void)
{
    /* msip raises MSIP at once; clearing msip lowers it */
    csr_write(mie, 0);
    *clint_msip(0) = 1;
    CHECK(csr_read(mip) & MIP_MSIP);
    CHECK_EQ(*clint_msip(0) & 1, 1);
    *clint_msip(0) = 0;
    CHECK_EQ(csr_read(mip) & MIP_MSIP, 0);

    csr_write(mie, MIP_MSIP);
    csr_set(mstatus, MSTATUS_MIE);
    *clint_msip(0) = 1;
    CHECK(wait_for(&msi_taken, 1));
    csr_clear(mstatus, MSTATUS_MIE);
    CHECK_EQ(msi_taken, 1);
    csr_write(mie, 0);
}

static void wfi_wakeup(void)
{
    /* MIE = 0, MTIE = 1: WFI returns once MTIP is pending, and no trap is taken. (WFI may also
     * return early, hence the loop.) */
    unsigned taken = mti_taken;
    csr_clear(mstatus, MSTATUS_MIE);
    csr_write(mie, MIP_MTIP);
    uint64_t deadline = clint_mtime() + 3000;
    *clint_mtimecmp(0) = deadline;
    while (!(csr_read(mip) & MIP_MTIP))
        wfi();
    CHECK(clint_mtime() >= deadline);
    CHECK_EQ(mti_taken, taken);
    *clint_mtimecmp(0) = ~0ull;

    /* the same with a software interrupt as the wake-up */
    unsigned msi = msi_taken;
    csr_write(mie, MIP_MSIP);
    *clint_msip(0) = 1;
    while (!(csr_read(mip) & MIP_MSIP))
        wfi();
    CHECK_EQ(msi_taken, msi);
    *clint_msip(0) = 0;
    csr_write(mie, 0);
}

int guest_main(unsigned hartid)
{
    (void)hartid;
    trap_hook_m = m_handler;
    trap_hook_s = s_handler;
    csr_write(mcounteren, COUNTEREN_TM); /* S-mode waits with rdtime */
    machine_timer();
    timer_preempts_user_mode();
    supervisor_timer();
    software_interrupt();
    wfi_wakeup();
    return 0;
}
