/* Traps and delegation: ecall from U/S/M, ebreak, illegal instructions (privileged instructions
 * at the wrong level, TVM/TSR/TW), what a trap does to mstatus/sstatus (xPP, xPIE, xIE) and what
 * xRET does, medeleg sending exceptions from U/S to S but never from M, and vectored mtvec/stvec
 * (interrupts to base + 4 * cause, exceptions to base). */
#include "guest.h"
#include "virt.h"

extern char mvector_table[], svector_table[];
extern volatile uint64_t mvector_hits[16], svector_hits[16];

static struct trap_record do_ecall(void)
{
    uint64_t at;
    struct trap_record r =
        TRAP_OF(__asm__ volatile("li a7, 0\n\tla %0, 1f\n1:\tecall" : "=&r"(at) : : "a7"));
    return r.epc == at ? r : (struct trap_record){.cause = TRAP_NONE};
}

/* Run at U or S: the cause of an ecall there (its epc checked against the ecall's address). */
static long ecall_cause(long unused)
{
    (void)unused;
    return (long)do_ecall().cause;
}

static long ecall_level(long unused)
{
    (void)unused;
    return (long)do_ecall().level;
}

/* The mstatus a hook saw for the last trap it was shown (M) / sstatus (S). */
static volatile uint64_t seen_mstatus, seen_sstatus;
static bool record_mstatus(struct trap_frame *f)
{
    seen_mstatus = f->status;
    return false; /* let the runtime handle it */
}
static bool record_sstatus(struct trap_frame *f)
{
    seen_sstatus = f->status;
    return false;
}

static void ecalls_and_breakpoints(void)
{
    CHECK_EQ(run_in_mode(PRV_U, ecall_cause, 0, 0), CAUSE_USER_ECALL);
    CHECK_EQ(run_in_mode(PRV_S, ecall_cause, 0, 0), CAUSE_SUPERVISOR_ECALL);
    struct trap_record r = do_ecall();
    CHECK_EQ(r.cause, CAUSE_MACHINE_ECALL);
    CHECK_EQ(r.tval, 0);

    uint64_t at;
    r = TRAP_OF(__asm__ volatile("la %0, 1f\n1:\tebreak" : "=&r"(at)));
    CHECK_EQ(r.cause, CAUSE_BREAKPOINT);
    CHECK_EQ(r.epc, at);
    CHECK(r.tval == 0 || r.tval == at); /* either is allowed */
}

static void trap_status_stack(void)
{
    /* trap from U: MPP = U, MPIE = the MIE of the interrupted code (0 here), MIE cleared */
    trap_hook_m = record_mstatus;
    CHECK_EQ(run_in_mode(PRV_U, ecall_cause, 0, 0), CAUSE_USER_ECALL);
    CHECK_EQ(seen_mstatus & MSTATUS_MPP, (uint64_t)PRV_U << MSTATUS_MPP_SHIFT);
    CHECK_EQ(seen_mstatus & MSTATUS_MIE, 0);
    CHECK_EQ(run_in_mode(PRV_S, ecall_cause, 0, 0), CAUSE_SUPERVISOR_ECALL);
    CHECK_EQ(seen_mstatus & MSTATUS_MPP, (uint64_t)PRV_S << MSTATUS_MPP_SHIFT);

    /* trap from M with MIE = 1 (no interrupt enabled in mie): MPIE = 1, MIE = 0 in the handler */
    csr_write(mie, 0);
    csr_set(mstatus, MSTATUS_MIE);
    CHECK_EQ(do_ecall().cause, CAUSE_MACHINE_ECALL);
    CHECK_EQ(seen_mstatus & (MSTATUS_MPP | MSTATUS_MPIE | MSTATUS_MIE),
             MSTATUS_MPP | MSTATUS_MPIE);
    /* mret restored MIE from MPIE, set MPIE, and left MPP at the least-privileged mode (U) */
    uint64_t after = csr_read(mstatus);
    CHECK_EQ(after & (MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP), MSTATUS_MIE | MSTATUS_MPIE);
    csr_clear(mstatus, MSTATUS_MIE);
    trap_hook_m = 0;
}

/* A function, for run_in_mode(), that executes one privileged instruction at the level it runs
 * at and returns that instruction's trap cause (TRAP_NONE if it did not trap). */
#define TRY_FUNCTION(name, insn)                                                      \
    static long name(long unused)                                                     \
    {                                                                                 \
        (void)unused;                                                                 \
        return (long)TRAP_OF(__asm__ volatile(insn ::: "t0", "memory")).cause;        \
    }
TRY_FUNCTION(try_mret, "mret")
TRY_FUNCTION(try_sret, "sret")
TRY_FUNCTION(try_satp, "csrr t0, satp")
TRY_FUNCTION(try_sfence, "sfence.vma")
TRY_FUNCTION(try_wfi, "wfi")

static void privileged_instructions(void)
{
    CHECK_EQ(run_in_mode(PRV_S, try_mret, 0, 0), CAUSE_ILLEGAL_INSTRUCTION);
    CHECK_EQ(run_in_mode(PRV_U, try_mret, 0, 0), CAUSE_ILLEGAL_INSTRUCTION);
    CHECK_EQ(run_in_mode(PRV_U, try_sret, 0, 0), CAUSE_ILLEGAL_INSTRUCTION);
    CHECK_EQ(run_in_mode(PRV_U, try_satp, 0, 0), CAUSE_ILLEGAL_INSTRUCTION);
    CHECK_EQ(run_in_mode(PRV_U, try_sfence, 0, 0), CAUSE_ILLEGAL_INSTRUCTION);

    /* mstatus.TVM: satp and sfence.vma become illegal in S */
    CHECK_EQ(run_in_mode(PRV_S, try_satp, 0, 0), TRAP_NONE);
    CHECK_EQ(run_in_mode(PRV_S, try_sfence, 0, 0), TRAP_NONE);
    csr_set(mstatus, MSTATUS_TVM);
    CHECK_EQ(run_in_mode(PRV_S, try_satp, 0, 0), CAUSE_ILLEGAL_INSTRUCTION);
    CHECK_EQ(run_in_mode(PRV_S, try_sfence, 0, 0), CAUSE_ILLEGAL_INSTRUCTION);
    csr_clear(mstatus, MSTATUS_TVM);

    /* mstatus.TSR: sret becomes illegal in S */
    csr_set(mstatus, MSTATUS_TSR);
    CHECK_EQ(run_in_mode(PRV_S, try_sret, 0, 0), CAUSE_ILLEGAL_INSTRUCTION);
    csr_clear(mstatus, MSTATUS_TSR);

    /* mstatus.TW: wfi becomes illegal in S (no interrupt will ever complete it here) */
    csr_write(mie, 0);
    csr_set(mstatus, MSTATUS_TW);
    CHECK_EQ(run_in_mode(PRV_S, try_wfi, 0, 0), CAUSE_ILLEGAL_INSTRUCTION);
    csr_clear(mstatus, MSTATUS_TW);
}

static long illegal_in_lower_mode(long unused)
{
    (void)unused;
    struct trap_record r = TRAP_OF(__asm__ volatile(".word 0xfe000033"));
    return r.cause == CAUSE_ILLEGAL_INSTRUCTION && r.tval == 0xfe000033 ? (long)r.level : -1;
}

static void delegation(void)
{
    csr_write(stvec, (uint64_t)trap_entry_s);
    csr_write(medeleg, (1ull << CAUSE_USER_ECALL) | (1ull << CAUSE_ILLEGAL_INSTRUCTION) |
                           (1ull << CAUSE_BREAKPOINT));

    /* delegated: taken in S, with sstatus.SPP telling where from */
    trap_hook_s = record_sstatus;
    CHECK_EQ(run_in_mode(PRV_U, ecall_level, 0, 0), PRV_S);
    CHECK_EQ(seen_sstatus & MSTATUS_SPP, 0);
    CHECK_EQ(run_in_mode(PRV_U, illegal_in_lower_mode, 0, 0), PRV_S);
    CHECK_EQ(run_in_mode(PRV_S, illegal_in_lower_mode, 0, 0), PRV_S);
    CHECK_EQ(seen_sstatus & MSTATUS_SPP, MSTATUS_SPP);
    trap_hook_s = 0;

    /* not delegated (ecall from S), or raised in M: stays in M */
    CHECK_EQ(run_in_mode(PRV_S, ecall_level, 0, 0), PRV_M);
    CHECK_EQ(illegal_in_lower_mode(0), PRV_M);
    CHECK_EQ(TRAP_OF(__asm__ volatile("ebreak")).level, PRV_M);

    csr_write(medeleg, 0);
    CHECK_EQ(run_in_mode(PRV_U, illegal_in_lower_mode, 0, 0), PRV_M);
}

static volatile unsigned msi_taken, ssi_taken;

static bool on_msi(struct trap_frame *f)
{
    if (f->cause != (MCAUSE_INTERRUPT | IRQ_MSI))
        return false;
    *clint_msip(hart_id()) = 0;
    msi_taken++;
    return true;
}

static bool on_ssi(struct trap_frame *f)
{
    if (f->cause != (MCAUSE_INTERRUPT | IRQ_SSI))
        return false;
    csr_clear(sip, MIP_SSIP);
    ssi_taken++;
    return true;
}

/* S-mode: raise a supervisor software interrupt on ourselves with SIE set, then trap once more
 * (an illegal instruction, delegated) to see that exceptions use the vector base. */
static long s_software_interrupt(long unused)
{
    (void)unused;
    csr_set(sstatus, MSTATUS_SIE);
    csr_set(sip, MIP_SSIP);
    for (volatile int i = 0; i < 100 && !ssi_taken; i++)
        ;
    csr_clear(sstatus, MSTATUS_SIE);
    return (long)TRAP_OF(__asm__ volatile(".word 0xfe000033")).cause;
}

static void vectored(void)
{
    /* M: a machine software interrupt (msip) goes to entry 3; an ecall to entry 0 */
    trap_hook_m = on_msi;
    csr_write(mtvec, (uint64_t)mvector_table | 1);
    CHECK_EQ(csr_read(mtvec), (uint64_t)mvector_table | 1);
    csr_write(mie, MIP_MSIP);
    *clint_msip(0) = 1;
    csr_set(mstatus, MSTATUS_MIE);
    for (volatile int i = 0; i < 100000 && !msi_taken; i++)
        ;
    csr_clear(mstatus, MSTATUS_MIE);
    CHECK_EQ(msi_taken, 1);
    CHECK_EQ(mvector_hits[IRQ_MSI], 1);
    CHECK_EQ(do_ecall().cause, CAUSE_MACHINE_ECALL);
    CHECK_EQ(mvector_hits[0], 1);
    csr_write(mie, 0);
    csr_write(mtvec, (uint64_t)trap_entry_m);
    trap_hook_m = 0;

    /* S: a delegated supervisor software interrupt goes to entry 1, an exception to entry 0 */
    trap_hook_s = on_ssi;
    csr_write(stvec, (uint64_t)svector_table | 1);
    csr_write(mideleg, MIP_SSIP);
    csr_write(medeleg, 1ull << CAUSE_ILLEGAL_INSTRUCTION);
    csr_write(mie, MIP_SSIP);
    CHECK_EQ(run_in_mode(PRV_S, s_software_interrupt, 0, 0), CAUSE_ILLEGAL_INSTRUCTION);
    CHECK_EQ(ssi_taken, 1);
    CHECK_EQ(svector_hits[IRQ_SSI], 1);
    CHECK_EQ(svector_hits[0], 1);
    csr_write(mie, 0);
    csr_write(mideleg, 0);
    csr_write(medeleg, 0);
    trap_hook_s = 0;
}

int guest_main(unsigned hartid)
{
    (void)hartid;
    ecalls_and_breakpoints();
    trap_status_stack();
    privileged_instructions();
    delegation();
    vectored();
    return 0;
}
