/* The virt board's devices as a driver sees them: UART 16550A registers, an interrupt travelling
 * UART (THR-empty) -> PLIC source 10 -> hart 0's M and S contexts (pending, enable, priority vs
 * threshold, claim/complete, mip.MEIP/SEIP, then a real M external interrupt), and the goldfish
 * RTC's nanosecond clock. */
#include "guest.h"

#define UART_IRQ 10
#define UART_REG(n) (((volatile uint8_t *)VIRT_UART_BASE)[n])
#define UART_IER 1
#define UART_IIR 2
#define UART_LCR 3
#define UART_LSR 5
#define UART_SCR 7
#define UART_IER_THRI 0x02
#define UART_IIR_NO_INT 0x01
#define UART_IIR_THRI 0x02
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40

#define PLIC_BASE 0x0c000000ul
#define PLIC_REG(off) (*(volatile uint32_t *)(PLIC_BASE + (off)))
#define PLIC_PRIORITY(irq) PLIC_REG(4u * (irq))
#define PLIC_PENDING(irq) ((PLIC_REG(0x1000 + 4u * ((irq) / 32)) >> ((irq) % 32)) & 1)
#define PLIC_ENABLE(ctx, irq) PLIC_REG(0x2000 + 0x80u * (ctx) + 4u * ((irq) / 32))
#define PLIC_THRESHOLD(ctx) PLIC_REG(0x200000 + 0x1000u * (ctx))
#define PLIC_CLAIM(ctx) PLIC_REG(0x200004 + 0x1000u * (ctx))
#define CTX_M 0 /* hart 0 M-mode */
#define CTX_S 1 /* hart 0 S-mode */

#define RTC_BASE 0x00101000ul
#define RTC_TIME_LOW (*(volatile uint32_t *)(RTC_BASE + 0x00))
#define RTC_TIME_HIGH (*(volatile uint32_t *)(RTC_BASE + 0x04))

static void uart_registers(void)
{
    CHECK_EQ(UART_REG(UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT), UART_LSR_THRE | UART_LSR_TEMT);
    UART_REG(UART_SCR) = 0x5a; /* the scratch register keeps what it is given */
    CHECK_EQ(UART_REG(UART_SCR), 0x5a);
    UART_REG(UART_SCR) = 0xa5;
    CHECK_EQ(UART_REG(UART_SCR), 0xa5);
    uint8_t lcr = UART_REG(UART_LCR);
    UART_REG(UART_LCR) = 0x03; /* 8N1 */
    CHECK_EQ(UART_REG(UART_LCR), 0x03);
    UART_REG(UART_LCR) = lcr;
    CHECK_EQ(UART_REG(UART_IIR) & 0x0f, UART_IIR_NO_INT);
}

/* The UART raises its line as soon as THR-empty interrupts are enabled (THR is empty). */
static void plic_routing(void)
{
    PLIC_PRIORITY(UART_IRQ) = 1;
    CHECK_EQ(PLIC_PRIORITY(UART_IRQ), 1);
    PLIC_ENABLE(CTX_M, UART_IRQ) = 1u << (UART_IRQ % 32);
    CHECK_EQ(PLIC_ENABLE(CTX_M, UART_IRQ), 1u << (UART_IRQ % 32));
    PLIC_THRESHOLD(CTX_M) = 0;
    CHECK_EQ(csr_read(mip) & MIP_MEIP, 0);
    CHECK_EQ(PLIC_CLAIM(CTX_M), 0); /* nothing pending */

    UART_REG(UART_IER) = UART_IER_THRI;
    CHECK_EQ(PLIC_PENDING(UART_IRQ), 1);
    CHECK(csr_read(mip) & MIP_MEIP);

    /* a source interrupts a context only when its priority exceeds the threshold */
    PLIC_THRESHOLD(CTX_M) = 1;
    CHECK_EQ(csr_read(mip) & MIP_MEIP, 0);
    PLIC_THRESHOLD(CTX_M) = 0;
    CHECK(csr_read(mip) & MIP_MEIP);

    /* the S context sees the source once it enables it. (QEMU 7.2 re-evaluates the lines on a
     * threshold write but not on an enable write, so each enable change is followed by one, as
     * drivers do when they set a context up.) */
    PLIC_THRESHOLD(CTX_S) = 0;
    CHECK_EQ(csr_read(mip) & MIP_SEIP, 0);
    PLIC_ENABLE(CTX_S, UART_IRQ) = 1u << (UART_IRQ % 32);
    PLIC_THRESHOLD(CTX_S) = 0;
    CHECK(csr_read(mip) & MIP_SEIP);
    PLIC_ENABLE(CTX_S, UART_IRQ) = 0;
    PLIC_THRESHOLD(CTX_S) = 0;
    CHECK_EQ(csr_read(mip) & MIP_SEIP, 0);

    /* claim: the source's number, its pending bit cleared, the context's line lowered */
    CHECK_EQ(PLIC_CLAIM(CTX_M), UART_IRQ);
    CHECK_EQ(PLIC_PENDING(UART_IRQ), 0);
    CHECK_EQ(csr_read(mip) & MIP_MEIP, 0);
    CHECK_EQ(UART_REG(UART_IIR) & 0x0f, UART_IIR_THRI); /* reading IIR acknowledges THRE */
    UART_REG(UART_IER) = 0;
    PLIC_CLAIM(CTX_M) = UART_IRQ; /* complete */
    CHECK_EQ(PLIC_CLAIM(CTX_M), 0);
    CHECK_EQ(csr_read(mip) & MIP_MEIP, 0);
}

static volatile unsigned external_taken;

static bool on_external(struct trap_frame *f)
{
    if (f->cause != (MCAUSE_INTERRUPT | IRQ_MEI))
        return false;
    uint32_t irq = PLIC_CLAIM(CTX_M);
    if (irq == UART_IRQ && (UART_REG(UART_IIR) & 0x0f) == UART_IIR_THRI) {
        UART_REG(UART_IER) = 0;
        external_taken++;
    }
    PLIC_CLAIM(CTX_M) = irq;
    return true;
}

static void external_interrupt(void)
{
    trap_hook_m = on_external;
    csr_write(mie, MIP_MEIP);
    csr_set(mstatus, MSTATUS_MIE);
    UART_REG(UART_IER) = UART_IER_THRI;
    uint64_t deadline = rdtime() + VIRT_TIMEBASE_HZ;
    while (!external_taken && rdtime() < deadline)
        ;
    csr_clear(mstatus, MSTATUS_MIE);
    csr_write(mie, 0);
    CHECK_EQ(external_taken, 1);
    CHECK_EQ(PLIC_CLAIM(CTX_M), 0);
    PLIC_ENABLE(CTX_M, UART_IRQ) = 0;
    trap_hook_m = 0;
}

static uint64_t rtc_ns(void)
{
    uint32_t low = RTC_TIME_LOW; /* reading the low word latches the high word */
    return ((uint64_t)RTC_TIME_HIGH << 32) | low;
}

static void rtc(void)
{
    uint64_t t0 = rtc_ns();
    CHECK(t0 > 1000000000ull * 1000000000ull); /* wall-clock time: after 2001 */
    uint64_t until = rdtime() + VIRT_TIMEBASE_HZ / 100; /* 10 ms */
    while (rdtime() < until)
        ;
    CHECK(rtc_ns() > t0);
}

int guest_main(unsigned hartid)
{
    (void)hartid;
    uart_registers();
    plic_routing();
    external_interrupt();
    rtc();
    return 0;
}
