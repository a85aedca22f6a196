/* The C half of trap handling (trap.h describes the policy). */
#include "guest.h"

/* Shared by all harts: a guest sets them before the harts that use them can trap. */
volatile trap_hook_t trap_hook_m, trap_hook_s;

/* Per-hart expectation: written by the hart itself, read by its own trap handler. */
static struct {
    volatile bool armed;
    volatile uint64_t resume;
    struct trap_record rec;
} expectation[GUEST_MAX_HARTS];

extern uint64_t mode_ctx_sp[GUEST_MAX_HARTS];
extern char mode_resume[];

void trap_expect(uint64_t resume)
{
    unsigned h = hart_id();
    expectation[h].rec = (struct trap_record){.cause = TRAP_NONE};
    expectation[h].resume = resume;
    fence();
    expectation[h].armed = true;
    fence();
}

struct trap_record trap_collect(void)
{
    unsigned h = hart_id();
    fence();
    expectation[h].armed = false;
    return expectation[h].rec;
}

uint64_t next_insn(uint64_t epc)
{
    uint16_t low = *(volatile uint16_t *)epc;
    return epc + ((low & 3) == 3 ? 4 : 2);
}

static bool is_fetch_fault(uint64_t cause)
{
    return cause == CAUSE_MISALIGNED_FETCH || cause == CAUSE_FETCH_ACCESS ||
           cause == CAUSE_FETCH_PAGE_FAULT;
}

/* M-mode: continue in run_in_mode's caller, at mode_resume, on the stack it saved. */
static void return_from_mode(struct trap_frame *f)
{
    f->x[2] = mode_ctx_sp[hart_id()];
    f->x[17] = 0; /* a7: the magic must not outlive the return */
    f->epc = (uint64_t)mode_resume;
    f->status = (f->status & ~MSTATUS_MPP) | ((uint64_t)PRV_M << MSTATUS_MPP_SHIFT);
}

/* S-mode got the final ecall of a U-mode function (ecalls from U delegated): pass it on to M.
 * The S trap stack is abandoned, so sscratch gets its top back first. */
__attribute__((noreturn)) static void forward_mode_return(struct trap_frame *f)
{
    csr_write(sscratch, (uint64_t)(f + 1));
    register uint64_t a0 __asm__("a0") = f->x[10];
    register uint64_t a7 __asm__("a7") = MODE_RETURN_MAGIC;
    __asm__ volatile("ecall" ::"r"(a0), "r"(a7) : "memory");
    __builtin_unreachable();
}

/* Length of the instruction at epc, read by the level that took the trap. In S-mode the page may
 * be a user page: SUM lets the read through. */
static uint64_t skip_insn(uint64_t epc, unsigned level)
{
    if (level == PRV_M)
        return next_insn(epc);
    uint64_t sum_was = csr_read(sstatus) & MSTATUS_SUM;
    csr_set(sstatus, MSTATUS_SUM);
    uint64_t next = next_insn(epc);
    if (!sum_was)
        csr_clear(sstatus, MSTATUS_SUM);
    return next;
}

static const char *level_name(unsigned level) { return level == PRV_M ? "M" : "S"; }

void trap_handle(struct trap_frame *f, unsigned level)
{
    trap_hook_t hook = level == PRV_M ? trap_hook_m : trap_hook_s;
    if (hook && hook(f))
        return;

    bool is_ecall = f->cause == CAUSE_USER_ECALL || f->cause == CAUSE_SUPERVISOR_ECALL ||
                    f->cause == CAUSE_MACHINE_ECALL;
    if (is_ecall && f->x[17] == MODE_RETURN_MAGIC) {
        if (level == PRV_M)
            return_from_mode(f);
        else
            forward_mode_return(f);
        return;
    }

    unsigned h = hart_id();
    if (!(f->cause & MCAUSE_INTERRUPT) && expectation[h].armed) {
        expectation[h].armed = false;
        expectation[h].rec =
            (struct trap_record){.cause = f->cause, .epc = f->epc, .tval = f->tval, .level = level};
        if (expectation[h].resume)
            f->epc = expectation[h].resume;
        else if (is_fetch_fault(f->cause))
            f->epc = f->x[1];
        else
            f->epc = skip_insn(f->epc, level);
        return;
    }

    printf("unexpected trap on hart %u in %s-mode: cause=0x%lx epc=0x%lx tval=0x%lx\n", h,
           level_name(level), f->cause, f->epc, f->tval);
    guest_fail(GUEST_FAIL_TRAP);
}
