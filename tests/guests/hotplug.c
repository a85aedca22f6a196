/* Hot-plug as a guest driver sees it (devices/hotplug_controller.h), run with
 * `-device mmio-scratch,id=cold,slot=15 --hotplug-script hotplug.script`:
 *   - the controller is found through the device tree (compatible "locklab,hotplug-controller-1"),
 *     its interrupt routed through the PLIC to hart 0's M-mode;
 *   - a cold-plugged device is present at boot without an event;
 *   - a device added at run time arrives as an interrupt, is found in its slot and used;
 *   - the eject handshake: the guest is asked, stops using the device, writes EJECT, and sees the
 *     slot empty; the old address then gives a load access fault;
 *   - a surprise removal: the slot goes empty without a request, the address faults.
 * locklab only: QEMU's virt has no hot-plug controller. */
#include "guest.h"

#define HP_COMPATIBLE "locklab,hotplug-controller-1"
#define HP_MAGIC 0x4c4b4850u
#define HP_SLOTS 24
#define HP_EVENT_STATUS 0x00cu
#define HP_SLOT(i, reg) (0x100u + 0x20u * (i) + (reg))
#define SLOT_STATUS 0x00u
#define SLOT_TYPE 0x04u
#define SLOT_BASE_LO 0x08u
#define SLOT_BASE_HI 0x0cu
#define SLOT_SIZE 0x10u
#define SLOT_COMMAND 0x18u
#define STATUS_PRESENT 1u
#define STATUS_EJECT_REQUEST 2u
#define TYPE_MMIO_SCRATCH 2u
#define CMD_EJECT 1u
#define FIRST_RESEARCH_SLOT 8u

/* mmio-scratch registers, as 64-bit words */
#define SCRATCH_MAGIC 0x53435254u
#define SCR_MAGIC 0
#define SCR_GENERATION 1
#define SCR_COST 2
#define SCR_WRITE_COUNT 4
#define SCR_WRITE_SUM 5
#define SCR_DATA 8

#define PLIC_BASE 0x0c000000ul
#define PLIC_REG(off) (*(volatile uint32_t *)(PLIC_BASE + (off)))
#define PLIC_CTX_M 0 /* hart 0, M-mode */

#define TIMEOUT_TICKS (20 * VIRT_TIMEBASE_HZ)

/* ---- the device tree: find the controller's reg and interrupt ---- */
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4

static uint32_t be32(const void *p)
{
    const uint8_t *b = p;
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

static bool str_eq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/* Does the NUL-separated string list [p, p+len) contain `s`? */
static bool list_has(const char *p, uint32_t len, const char *s)
{
    for (uint32_t i = 0; i < len;) {
        if (str_eq(p + i, s))
            return true;
        while (i < len && p[i])
            i++;
        i++;
    }
    return false;
}

struct hp_node {
    uint64_t base;
    uint32_t irq;
};

/* Properties come before subnodes, so a node is complete at its first child or its end. */
static bool fdt_find_controller(const uint8_t *fdt, struct hp_node *out)
{
    if (be32(fdt) != 0xd00dfeed)
        return false;
    const uint8_t *p = fdt + be32(fdt + 8);             /* off_dt_struct */
    const char *strings = (const char *)fdt + be32(fdt + 12); /* off_dt_strings */
    bool match = false, have_reg = false;
    struct hp_node node = {0, 0};
    for (;;) {
        uint32_t token = be32(p);
        p += 4;
        if (token == FDT_PROP) {
            uint32_t len = be32(p), nameoff = be32(p + 4);
            const uint8_t *value = p + 8;
            const char *name = strings + nameoff;
            if (str_eq(name, "compatible") && list_has((const char *)value, len, HP_COMPATIBLE))
                match = true;
            else if (str_eq(name, "reg") && len >= 8)
                node.base = ((uint64_t)be32(value) << 32) | be32(value + 4), have_reg = true;
            else if (str_eq(name, "interrupts") && len == 4)
                node.irq = be32(value);
            p += 8 + ((len + 3) & ~3u);
        } else if (token == FDT_BEGIN_NODE || token == FDT_END_NODE) {
            if (match && have_reg) {
                *out = node;
                return true;
            }
            match = have_reg = false;
            node.irq = 0;
            if (token == FDT_BEGIN_NODE) {
                unsigned len = 0;
                while (p[len])
                    len++;
                p += (len + 1 + 3) & ~3u;
            }
        } else if (token != FDT_NOP) {
            return false; /* FDT_END */
        }
    }
}

/* ---- the driver ---- */
static uintptr_t hp_base;
static uint32_t hp_irq;
static volatile uint32_t slot_status[HP_SLOTS]; /* written by the interrupt handler */
static volatile uint32_t slot_events[HP_SLOTS]; /* count of events per slot, ditto */
static volatile uint32_t hp_interrupts;

static uint32_t hp_read(uint32_t off) { return *(volatile uint32_t *)(hp_base + off); }
static void hp_write(uint32_t off, uint32_t v) { *(volatile uint32_t *)(hp_base + off) = v; }

static bool m_external(struct trap_frame *f)
{
    if (f->cause != (MCAUSE_INTERRUPT | IRQ_MEI))
        return false;
    uint32_t irq = PLIC_REG(0x200004 + 0x1000u * PLIC_CTX_M); /* claim */
    if (irq == hp_irq) {
        uint32_t events = hp_read(HP_EVENT_STATUS);
        hp_write(HP_EVENT_STATUS, events); /* write 1 to clear */
        for (unsigned i = 0; i < HP_SLOTS; i++) {
            if (events & (1u << i)) {
                slot_status[i] = hp_read(HP_SLOT(i, SLOT_STATUS));
                slot_events[i]++;
            }
        }
        hp_interrupts++;
    }
    PLIC_REG(0x200004 + 0x1000u * PLIC_CTX_M) = irq; /* complete */
    return true;
}

/* Sleep until slot `slot` has seen more than `events` events, then return its status. WFI with
 * MIE off, so an interrupt between the check and the WFI still wakes it. */
static uint32_t wait_slot_event(unsigned slot, uint32_t events)
{
    uint64_t deadline = rdtime() + TIMEOUT_TICKS;
    for (;;) {
        csr_clear(mstatus, MSTATUS_MIE);
        bool ready = slot_events[slot] > events;
        if (!ready)
            wfi();
        csr_set(mstatus, MSTATUS_MIE); /* the pending interrupt is taken here */
        if (ready)
            return slot_status[slot];
        if (rdtime() > deadline) {
            printf("no event for slot %u\n", slot);
            guest_fail(3);
        }
    }
}

static volatile uint64_t *slot_device(unsigned slot)
{
    CHECK_EQ(hp_read(HP_SLOT(slot, SLOT_TYPE)), TYPE_MMIO_SCRATCH);
    CHECK_EQ(hp_read(HP_SLOT(slot, SLOT_SIZE)), 0x1000);
    uint64_t base = ((uint64_t)hp_read(HP_SLOT(slot, SLOT_BASE_HI)) << 32) | hp_read(HP_SLOT(slot, SLOT_BASE_LO));
    CHECK_EQ(base, 0x11000000ul + 0x1000ul * (slot - FIRST_RESEARCH_SLOT));
    return (volatile uint64_t *)base;
}

/* Use a device: identify it, fill its data registers, read them back, check its counters. */
static void use_device(volatile uint64_t *dev, uint64_t cost)
{
    CHECK_EQ(dev[SCR_MAGIC], SCRATCH_MAGIC);
    CHECK(dev[SCR_GENERATION] != 0);
    CHECK_EQ(dev[SCR_COST], cost);
    uint64_t before = dev[SCR_WRITE_COUNT], sum = dev[SCR_WRITE_SUM];
    for (unsigned i = 0; i < 8; i++) {
        dev[SCR_DATA + i] = 0x1000 + i;
        sum += 0x1000 + i;
    }
    for (unsigned i = 0; i < 8; i++)
        CHECK_EQ(dev[SCR_DATA + i], 0x1000 + i);
    CHECK_EQ(dev[SCR_WRITE_COUNT], before + 8);
    CHECK_EQ(dev[SCR_WRITE_SUM], sum);
}

static void check_gone(volatile uint64_t *dev)
{
    uint64_t v = 0;
    struct trap_record r = TRAP_OF(v = dev[SCR_MAGIC]);
    (void)v;
    CHECK_TRAP(r, CAUSE_LOAD_ACCESS, (uint64_t)(uintptr_t)dev);
    r = TRAP_OF(dev[SCR_DATA] = 1);
    CHECK_TRAP(r, CAUSE_STORE_ACCESS, (uint64_t)(uintptr_t)&dev[SCR_DATA]);
}

int guest_main(unsigned hartid)
{
    (void)hartid;
    struct hp_node node;
    CHECK(fdt_find_controller(boot_fdt, &node));
    hp_base = (uintptr_t)node.base;
    hp_irq = node.irq;
    CHECK_EQ(hp_read(0x000), HP_MAGIC);
    CHECK_EQ(hp_read(0x004), 1);
    CHECK_EQ(hp_read(0x008), HP_SLOTS);
    printf("hot-plug controller at %p, PLIC source %u, %u slots\n", (void *)hp_base, hp_irq, HP_SLOTS);

    /* The cold-plugged device (-device mmio-scratch,id=cold,slot=15) is there without an event. */
    unsigned cold = FIRST_RESEARCH_SLOT + 15;
    CHECK_EQ(hp_read(HP_EVENT_STATUS), 0);
    CHECK_EQ(hp_read(HP_SLOT(cold, SLOT_STATUS)), STATUS_PRESENT);
    use_device(slot_device(cold), 0);
    printf("cold-plugged device in slot %u works\n", cold);

    /* Route the controller's interrupt to this hart's M-mode. */
    PLIC_REG(4u * hp_irq) = 1;
    PLIC_REG(0x2000 + 0x80u * PLIC_CTX_M + 4u * (hp_irq / 32)) = 1u << (hp_irq % 32);
    PLIC_REG(0x200000 + 0x1000u * PLIC_CTX_M) = 0;
    trap_hook_m = m_external;
    csr_write(mie, MIP_MEIP);
    csr_set(mstatus, MSTATUS_MIE);

    /* s1: hot-plugged into the first free research slot, then removed with the handshake. */
    unsigned s1 = FIRST_RESEARCH_SLOT;
    CHECK_EQ(wait_slot_event(s1, 0), STATUS_PRESENT);
    volatile uint64_t *dev = slot_device(s1);
    use_device(dev, 100);
    printf("device added at run time in slot %u works\n", s1);

    CHECK_EQ(wait_slot_event(s1, 1), STATUS_PRESENT | STATUS_EJECT_REQUEST);
    use_device(dev, 100); /* still usable until the guest lets go */
    printf("eject requested for slot %u: driver quiesced, ejecting\n", s1);
    hp_write(HP_SLOT(s1, SLOT_COMMAND), CMD_EJECT);
    CHECK_EQ(wait_slot_event(s1, 2), 0);
    check_gone(dev);
    printf("slot %u is empty and its registers fault\n", s1);

    /* s2: hot-plugged into research slot 3, then removed by surprise. */
    unsigned s2 = FIRST_RESEARCH_SLOT + 3;
    CHECK_EQ(wait_slot_event(s2, 0), STATUS_PRESENT);
    dev = slot_device(s2);
    use_device(dev, 0);
    printf("device added in slot %u works\n", s2);
    CHECK_EQ(wait_slot_event(s2, 1), 0); /* gone without being asked */
    check_gone(dev);
    printf("surprise removal of slot %u seen, its registers fault\n", s2);

    csr_clear(mstatus, MSTATUS_MIE);
    CHECK_EQ(hp_read(HP_SLOT(cold, SLOT_STATUS)), STATUS_PRESENT);
    printf("%u controller interrupts\n", hp_interrupts);
    return 0;
}
