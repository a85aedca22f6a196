/* CSRs: identification (misa, mhartid, the boot contract's a0/a1), WARL and view registers
 * (medeleg, mideleg, sstatus, sie), counters (cycle, time, instret; writes to mcycle/minstret),
 * mcounteren/scounteren gating from S and U, and the illegal-instruction rules of the CSR space
 * (read-only CSRs, missing CSRs, privilege) with mtval = the instruction's bits. */
#include "guest.h"

/* bits encoded by csrr/csrw below (rd = a0 where there is one) */
#define INSN_RDCYCLE_A0 0xc0002573u  /* csrrs a0, cycle, zero */
#define INSN_CSRW_MHARTID 0xf1401073u /* csrrw zero, mhartid, zero */
#define INSN_CSRR_MSTATUS 0x30002573u /* csrrs a0, mstatus, zero */
#define INSN_CSRR_SSTATUS 0x10002573u /* csrrs a0, sstatus, zero */

static void identification(void)
{
    uint64_t misa = csr_read(misa);
    CHECK_EQ(misa >> MISA_MXL_SHIFT, 2); /* XLEN = 64 */
    const char *required = "IMACSU";
    for (const char *e = required; *e; e++)
        CHECK(misa & MISA_EXT(*e));
    CHECK_EQ(csr_read(mhartid), 0);
    (void)csr_read(mvendorid); /* readable (values are implementation-defined) */
    (void)csr_read(marchid);
    (void)csr_read(mimpid);

    /* RV64: mstatus.SXL and UXL are 2 */
    uint64_t mstatus = csr_read(mstatus);
    CHECK_EQ((mstatus & MSTATUS_SXL) >> 34, 2);
    CHECK_EQ((mstatus & MSTATUS_UXL) >> 32, 2);

    /* the boot contract: a1 points at a flattened device tree (magic 0xd00dfeed, big-endian) */
    const volatile uint8_t *fdt = boot_fdt;
    CHECK_EQ(((uint32_t)fdt[0] << 24) | (fdt[1] << 16) | (fdt[2] << 8) | fdt[3], 0xd00dfeed);
}

static void delegation_registers(void)
{
    /* medeleg: the causes S-mode kernels take are delegable. (Newer specs make bit 11, ecall
     * from M, read-only zero; QEMU 7.2 lets it be set, so it is not checked.) */
    csr_write(medeleg, -1ull);
    uint64_t medeleg = csr_read(medeleg);
    uint64_t needed = (1ull << CAUSE_BREAKPOINT) | (1ull << CAUSE_USER_ECALL) |
                      (1ull << CAUSE_ILLEGAL_INSTRUCTION) | (1ull << CAUSE_FETCH_PAGE_FAULT) |
                      (1ull << CAUSE_LOAD_PAGE_FAULT) | (1ull << CAUSE_STORE_PAGE_FAULT);
    CHECK_EQ(medeleg & needed, needed);
    csr_write(medeleg, 0);
    CHECK_EQ(csr_read(medeleg), 0);

    /* mideleg: the supervisor interrupts are delegable */
    csr_write(mideleg, -1ull);
    CHECK_EQ(csr_read(mideleg) & (MIP_SSIP | MIP_STIP | MIP_SEIP), MIP_SSIP | MIP_STIP | MIP_SEIP);

    /* sie is mie seen through mideleg */
    csr_write(mie, 0);
    csr_write(sie, MIP_SSIP | MIP_STIP | MIP_SEIP);
    CHECK_EQ(csr_read(mie) & (MIP_SSIP | MIP_STIP | MIP_SEIP), MIP_SSIP | MIP_STIP | MIP_SEIP);
    CHECK_EQ(csr_read(sie) & (MIP_SSIP | MIP_STIP | MIP_SEIP), MIP_SSIP | MIP_STIP | MIP_SEIP);
    csr_write(mie, 0);
    csr_write(mideleg, 0);
    csr_write(sie, MIP_SSIP | MIP_STIP | MIP_SEIP); /* not delegated: read-only zero */
    CHECK_EQ(csr_read(sie), 0);
    CHECK_EQ(csr_read(mie), 0);

    /* sstatus is mstatus restricted to the S-level fields */
    csr_clear(mstatus, MSTATUS_SIE | MSTATUS_SUM);
    csr_set(sstatus, MSTATUS_SIE | MSTATUS_SUM);
    CHECK_EQ(csr_read(mstatus) & (MSTATUS_SIE | MSTATUS_SUM), MSTATUS_SIE | MSTATUS_SUM);
    csr_set(mstatus, MSTATUS_MIE | MSTATUS_MPP);
    uint64_t sstatus = csr_read(sstatus);
    CHECK_EQ(sstatus & (MSTATUS_MIE | MSTATUS_MPP), 0);
    CHECK_EQ(sstatus & (MSTATUS_SIE | MSTATUS_SUM), MSTATUS_SIE | MSTATUS_SUM);
    csr_clear(mstatus, MSTATUS_MIE | MSTATUS_MPP | MSTATUS_SIE | MSTATUS_SUM);

    /* mtvec: MODE values 2 and 3 are reserved; a write of them must not yield them */
    uint64_t mtvec = csr_read(mtvec);
    csr_write(mtvec, (mtvec & ~3ull) | 3);
    CHECK((csr_read(mtvec) & 3) < 2);
    csr_write(mtvec, mtvec);
}

static void counters(void)
{
    uint64_t c0 = csr_read(cycle), i0 = csr_read(instret), t0 = csr_read(time);
    for (volatile int i = 0; i < 1000; i++)
        ;
    CHECK(csr_read(cycle) > c0);
    CHECK(csr_read(instret) >= i0 + 1000);
    uint64_t t1 = csr_read(time);
    CHECK(t1 >= t0);

    /* the time CSR reads the CLINT's mtime */
    uint64_t before = clint_mtime();
    uint64_t t = csr_read(time);
    uint64_t after = clint_mtime();
    CHECK(before <= t && t <= after);

    /* writes to mcycle and minstret are honoured: the counter continues from the written value */
    const uint64_t base = 1ull << 40, slack = 10000000;
    csr_write(mcycle, base);
    uint64_t c = csr_read(mcycle);
    CHECK(c >= base && c < base + slack);
    csr_write(minstret, base);
    uint64_t n = csr_read(minstret);
    CHECK(n >= base && n < base + slack);
    CHECK(csr_read(instret) >= base); /* the unprivileged alias sees the same counter */
}

/* Bit set of counters (COUNTEREN_*) readable at the current level. */
static long readable_counters(long unused)
{
    (void)unused;
    long ok = 0;
    if (TRAP_OF((void)csr_read(cycle)).cause == TRAP_NONE)
        ok |= COUNTEREN_CY;
    if (TRAP_OF((void)csr_read(time)).cause == TRAP_NONE)
        ok |= COUNTEREN_TM;
    if (TRAP_OF((void)csr_read(instret)).cause == TRAP_NONE)
        ok |= COUNTEREN_IR;
    return ok;
}

static long rdcycle_trap_tval(long unused)
{
    (void)unused;
    struct trap_record r = TRAP_OF(__asm__ volatile("csrrs a0, cycle, zero" ::: "a0"));
    return r.cause == CAUSE_ILLEGAL_INSTRUCTION ? (long)r.tval : -1;
}

static void counter_enables(void)
{
    const long all = COUNTEREN_CY | COUNTEREN_TM | COUNTEREN_IR;
    csr_write(mcounteren, 0);
    csr_write(scounteren, all);
    CHECK_EQ(run_in_mode(PRV_S, readable_counters, 0, 0), 0);
    CHECK_EQ(run_in_mode(PRV_U, readable_counters, 0, 0), 0); /* mcounteren gates U as well */
    CHECK_EQ(run_in_mode(PRV_U, rdcycle_trap_tval, 0, 0), INSN_RDCYCLE_A0);

    csr_write(mcounteren, all);
    csr_write(scounteren, 0);
    CHECK_EQ(run_in_mode(PRV_S, readable_counters, 0, 0), all);
    CHECK_EQ(run_in_mode(PRV_U, readable_counters, 0, 0), 0);

    csr_write(scounteren, COUNTEREN_CY | COUNTEREN_IR);
    CHECK_EQ(run_in_mode(PRV_U, readable_counters, 0, 0), COUNTEREN_CY | COUNTEREN_IR);

    csr_write(mcounteren, COUNTEREN_TM);
    csr_write(scounteren, all);
    CHECK_EQ(run_in_mode(PRV_S, readable_counters, 0, 0), COUNTEREN_TM);
    CHECK_EQ(run_in_mode(PRV_U, readable_counters, 0, 0), COUNTEREN_TM);
    csr_write(mcounteren, 0);
    csr_write(scounteren, 0);
}

static long read_mstatus_tval(long unused)
{
    (void)unused;
    struct trap_record r = TRAP_OF(__asm__ volatile("csrrs a0, mstatus, zero" ::: "a0"));
    return r.cause == CAUSE_ILLEGAL_INSTRUCTION ? (long)r.tval : -1;
}

static long read_sstatus_tval(long unused)
{
    (void)unused;
    struct trap_record r = TRAP_OF(__asm__ volatile("csrrs a0, sstatus, zero" ::: "a0"));
    if (r.cause == TRAP_NONE)
        return 0;
    return r.cause == CAUSE_ILLEGAL_INSTRUCTION ? (long)r.tval : -1;
}

static void illegal_accesses(void)
{
    /* writing a read-only CSR */
    CHECK_TRAP(TRAP_OF(__asm__ volatile("csrrw zero, mhartid, zero")), CAUSE_ILLEGAL_INSTRUCTION,
               INSN_CSRW_MHARTID);
    /* csrrs with rs1 = zero does not write, so reading a read-only CSR that way is fine */
    CHECK_EQ(TRAP_OF((void)csr_read(mhartid)).cause, TRAP_NONE);
    /* an unallocated CSR number (0x7ff is in the custom M range, unused here) */
    CHECK_EQ(TRAP_OF(__asm__ volatile("csrr a0, 0x7ff" ::: "a0")).cause, CAUSE_ILLEGAL_INSTRUCTION);
    /* M-level CSRs from S, S-level ones from U */
    CHECK_EQ(run_in_mode(PRV_S, read_mstatus_tval, 0, 0), INSN_CSRR_MSTATUS);
    CHECK_EQ(run_in_mode(PRV_S, read_sstatus_tval, 0, 0), 0);
    CHECK_EQ(run_in_mode(PRV_U, read_sstatus_tval, 0, 0), INSN_CSRR_SSTATUS);
    /* OP with funct7 = 0x7f is no instruction; mtval holds its bits */
    CHECK_TRAP(TRAP_OF(__asm__ volatile(".word 0xfe000033")), CAUSE_ILLEGAL_INSTRUCTION, 0xfe000033);
}

int guest_main(unsigned hartid)
{
    (void)hartid;
    identification();
    delegation_registers();
    counters();
    counter_enables();
    illegal_accesses();
    return 0;
}
