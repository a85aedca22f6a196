/* virtio-mmio transport and split virtqueues for the guests (see virtio_mmio.h). */
#include "virtio_mmio.h"

#define PLIC_BASE 0x0c000000ul
#define PLIC_REG(off) (*(volatile uint32_t *)(PLIC_BASE + (off)))
#define PLIC_PRIORITY(irq) PLIC_REG(4u * (irq))
#define PLIC_ENABLE(ctx, irq) PLIC_REG(0x2000 + 0x80u * (ctx) + 4u * ((irq) / 32))
#define PLIC_THRESHOLD(ctx) PLIC_REG(0x200000 + 0x1000u * (ctx))
#define PLIC_CLAIM(ctx) PLIC_REG(0x200004 + 0x1000u * (ctx))
#define PLIC_CTX_HART0_M 0

/* I/O ordering: RAM (rings) against MMIO (registers) needs the i/o bits of the fence. */
static inline void io_fence(void) { __asm__ volatile("fence iorw, iorw" ::: "memory"); }

uint32_t virtio_read32(const struct virtio_dev *d, unsigned offset)
{
    return *(volatile uint32_t *)(d->base + offset);
}

void virtio_write32(const struct virtio_dev *d, unsigned offset, uint32_t value)
{
    *(volatile uint32_t *)(d->base + offset) = value;
}

bool virtio_find(uint32_t device_id, unsigned nth, struct virtio_dev *d)
{
    for (unsigned slot = 0; slot < VIRTIO_MMIO_SLOTS; slot++) {
        struct virtio_dev probe = {.base = VIRTIO_MMIO_BASE + VIRTIO_MMIO_STRIDE * slot, .slot = slot};
        if (virtio_read32(&probe, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC)
            continue;
        probe.version = virtio_read32(&probe, VIRTIO_MMIO_VERSION);
        if (virtio_read32(&probe, VIRTIO_MMIO_DEVICE_ID) != device_id)
            continue;
        if (nth-- == 0) {
            *d = probe;
            return true;
        }
    }
    return false;
}

uint32_t virtio_status(const struct virtio_dev *d) { return virtio_read32(d, VIRTIO_MMIO_STATUS); }

static void status_set(struct virtio_dev *d, uint32_t bits)
{
    virtio_write32(d, VIRTIO_MMIO_STATUS, virtio_status(d) | bits);
}

void virtio_reset(struct virtio_dev *d)
{
    io_fence();
    virtio_write32(d, VIRTIO_MMIO_STATUS, 0);
    /* virtio 1.x: wait until Status reads 0 before re-initialising. The legacy interface has no
     * such rule, but a device that resets asynchronously (locklab's, with requests in flight)
     * shows the old status until then; QEMU resets synchronously and reads 0 at once. */
    while (virtio_status(d) != 0)
        ;
}

int virtio_negotiate(struct virtio_dev *d, uint64_t wanted)
{
    if (d->version != 1 && d->version != 2)
        return -1;
    virtio_reset(d);
    status_set(d, VIRTIO_STATUS_ACKNOWLEDGE);
    status_set(d, VIRTIO_STATUS_DRIVER);

    unsigned words = d->version == 2 ? 2 : 1; /* a legacy device has 32 feature bits */
    uint64_t offered = 0;
    for (unsigned sel = 0; sel < words; sel++) {
        virtio_write32(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, sel);
        offered |= (uint64_t)virtio_read32(d, VIRTIO_MMIO_DEVICE_FEATURES) << (32 * sel);
    }
    d->offered = offered;
    if (d->version == 2) {
        if (!(offered & VIRTIO_FEATURE(VIRTIO_F_VERSION_1))) {
            status_set(d, VIRTIO_STATUS_FAILED);
            return -2;
        }
        wanted |= VIRTIO_FEATURE(VIRTIO_F_VERSION_1);
    }
    d->features = offered & wanted;
    for (unsigned sel = 0; sel < words; sel++) {
        virtio_write32(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, sel);
        virtio_write32(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(d->features >> (32 * sel)));
    }
    if (d->version == 2) { /* a legacy device has no FEATURES_OK step (3.1.2) */
        status_set(d, VIRTIO_STATUS_FEATURES_OK);
        if (!(virtio_status(d) & VIRTIO_STATUS_FEATURES_OK)) {
            status_set(d, VIRTIO_STATUS_FAILED);
            return -3;
        }
    } else {
        virtio_write32(d, VIRTIO_MMIO_GUEST_PAGE_SIZE, VIRTQ_ALIGN);
    }
    return 0;
}

int virtq_setup(struct virtio_dev *d, struct virtq *q, unsigned index, void *mem, unsigned num)
{
    virtio_write32(d, VIRTIO_MMIO_QUEUE_SEL, index);
    uint32_t busy = virtio_read32(d, d->version == 2 ? VIRTIO_MMIO_QUEUE_READY : VIRTIO_MMIO_QUEUE_PFN);
    uint32_t max = virtio_read32(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
    if (busy || max == 0)
        return -1;
    if (num > max)
        num = max;
    if (num > VIRTQ_MAX_NUM)
        num = VIRTQ_MAX_NUM;
    if (num == 0 || (num & (num - 1)))
        return -2; /* split virtqueue sizes are powers of two */

    uint8_t *bytes = mem;
    for (size_t i = 0; i < VIRTQ_MEM_SIZE(num); i++)
        ((volatile uint8_t *)bytes)[i] = 0; /* volatile: no memset in a freestanding guest */
    size_t used_offset = (16ul * num + 6 + 2ul * num + VIRTQ_ALIGN - 1) & ~(VIRTQ_ALIGN - 1ul);
    /* field by field: a struct assignment this size would be a memset call */
    q->dev = d;
    q->index = index;
    q->num = (uint16_t)num;
    q->desc = (struct virtq_desc *)bytes;
    q->avail = (volatile struct virtq_avail *)(bytes + 16ul * num);
    q->used = (volatile struct virtq_used *)(bytes + used_offset);
    q->indirect = (d->features & VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC)) != 0;
    q->event_idx = (d->features & VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX)) != 0;
    q->free_head = 0;
    q->num_free = (uint16_t)num;
    q->avail_idx = q->kicked_idx = q->last_used = 0;
    q->lock.locked = 0;
    q->notifies = 0;
    for (unsigned i = 0; i < VIRTQ_MAX_NUM; i++)
        q->cookie[i] = NULL;
    for (unsigned i = 0; i + 1 < num; i++)
        q->desc[i].next = (uint16_t)(i + 1);

    virtio_write32(d, VIRTIO_MMIO_QUEUE_NUM, num);
    io_fence();
    if (d->version == 2) {
        uint64_t desc = (uintptr_t)q->desc, avail = (uintptr_t)q->avail, used = (uintptr_t)q->used;
        virtio_write32(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
        virtio_write32(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
        virtio_write32(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
        virtio_write32(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
        virtio_write32(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
        virtio_write32(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
        virtio_write32(d, VIRTIO_MMIO_QUEUE_READY, 1);
    } else {
        virtio_write32(d, VIRTIO_MMIO_QUEUE_ALIGN, VIRTQ_ALIGN);
        virtio_write32(d, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)((uintptr_t)mem / VIRTQ_ALIGN));
    }
    return 0;
}

void virtio_driver_ok(struct virtio_dev *d)
{
    io_fence();
    status_set(d, VIRTIO_STATUS_DRIVER_OK);
}

uint32_t virtio_config32(const struct virtio_dev *d, unsigned offset)
{
    return virtio_read32(d, VIRTIO_MMIO_CONFIG + offset);
}

uint64_t virtio_config64(const struct virtio_dev *d, unsigned offset)
{
    for (;;) {
        uint32_t gen = d->version == 2 ? virtio_read32(d, VIRTIO_MMIO_CONFIG_GENERATION) : 0;
        uint64_t value = virtio_config32(d, offset) | (uint64_t)virtio_config32(d, offset + 4) << 32;
        if (d->version != 2 || virtio_read32(d, VIRTIO_MMIO_CONFIG_GENERATION) == gen)
            return value;
    }
}

static uint16_t *used_event(struct virtq *q) { return (uint16_t *)&q->avail->ring[q->num]; }
static volatile uint16_t *avail_event(struct virtq *q) { return (volatile uint16_t *)&q->used->ring[q->num]; }

bool virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned n, void *cookie,
               struct virtq_desc *table)
{
    bool indirect = q->indirect && table && n > 1;
    unsigned needed = indirect ? 1 : n;
    if (n == 0 || needed > q->num_free)
        return false;

    uint16_t head = q->free_head;
    if (indirect) {
        for (unsigned i = 0; i < n; i++)
            table[i] = (struct virtq_desc){
                .addr = (uintptr_t)bufs[i].addr,
                .len = bufs[i].len,
                .flags = (uint16_t)((i + 1 < n ? VIRTQ_DESC_F_NEXT : 0) |
                                    (bufs[i].device_writes ? VIRTQ_DESC_F_WRITE : 0)),
                .next = (uint16_t)(i + 1 < n ? i + 1 : 0),
            };
        struct virtq_desc *d = &q->desc[head];
        q->free_head = d->next;
        d->addr = (uintptr_t)table;
        d->len = 16u * n;
        d->flags = VIRTQ_DESC_F_INDIRECT;
    } else {
        uint16_t i = head;
        for (unsigned k = 0; k < n; k++) {
            struct virtq_desc *d = &q->desc[i];
            d->addr = (uintptr_t)bufs[k].addr;
            d->len = bufs[k].len;
            d->flags = (uint16_t)((k + 1 < n ? VIRTQ_DESC_F_NEXT : 0) |
                                  (bufs[k].device_writes ? VIRTQ_DESC_F_WRITE : 0));
            i = d->next;
        }
        q->free_head = i;
    }
    q->num_free = (uint16_t)(q->num_free - needed);
    q->cookie[head] = cookie;

    q->avail->ring[q->avail_idx % q->num] = head;
    q->avail_idx++;
    __asm__ volatile("fence w, w" ::: "memory"); /* the ring entry before the index (2.7.13) */
    q->avail->idx = q->avail_idx;
    return true;
}

void virtq_kick(struct virtq *q)
{
    uint16_t old = q->kicked_idx, now = q->avail_idx;
    q->kicked_idx = now;
    if (old == now)
        return;
    io_fence(); /* avail.idx visible before reading the device's suppression fields (2.7.13.4) */
    bool needed = q->event_idx ? (uint16_t)(now - *avail_event(q) - 1) < (uint16_t)(now - old)
                               : !(q->used->flags & VIRTQ_USED_F_NO_NOTIFY);
    if (needed) {
        virtio_write32(q->dev, VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
        q->notifies++;
    }
}

void *virtq_get_used(struct virtq *q, uint32_t *len)
{
    if (q->used->idx == q->last_used)
        return NULL;
    __asm__ volatile("fence r, r" ::: "memory"); /* the index before the entry */
    volatile struct virtq_used_elem *e = &q->used->ring[q->last_used % q->num];
    uint32_t id = e->id;
    if (len)
        *len = e->len;
    q->last_used++;
    if (id >= q->num)
        return NULL; /* a device bug: the caller's deadline reports it */

    uint16_t i = (uint16_t)id, freed = 1;
    while (q->desc[i].flags & VIRTQ_DESC_F_NEXT) {
        i = q->desc[i].next;
        freed++;
    }
    q->desc[i].next = q->free_head;
    q->free_head = (uint16_t)id;
    q->num_free = (uint16_t)(q->num_free + freed);
    if (q->event_idx) {
        *used_event(q) = q->last_used; /* interrupt me at the next completion */
        fence();                       /* before the caller looks at used.idx again */
    }
    void *cookie = q->cookie[id];
    q->cookie[id] = NULL;
    return cookie;
}

/* ---- interrupts ---- */

static struct virtio_dev *irq_devices[VIRTIO_MMIO_SLOTS]; /* written by hart 0 with MEIE off */

static bool on_external(struct trap_frame *f)
{
    if (f->cause == (MCAUSE_INTERRUPT | IRQ_MTI)) { /* virtio_irq_wait's deadline */
        *clint_mtimecmp(0) = ~0ull;
        return true;
    }
    if (f->cause != (MCAUSE_INTERRUPT | IRQ_MEI))
        return false;
    uint32_t irq;
    while ((irq = PLIC_CLAIM(PLIC_CTX_HART0_M)) != 0) {
        struct virtio_dev *d = irq >= 1 && irq <= VIRTIO_MMIO_SLOTS ? irq_devices[irq - 1] : NULL;
        if (d) {
            uint32_t status = virtio_read32(d, VIRTIO_MMIO_INTERRUPT_STATUS);
            virtio_write32(d, VIRTIO_MMIO_INTERRUPT_ACK, status);
            d->irqs++;
        }
        PLIC_CLAIM(PLIC_CTX_HART0_M) = irq; /* complete */
    }
    return true;
}

void virtio_irq_enable(struct virtio_dev *d)
{
    unsigned irq = VIRTIO_MMIO_IRQ(d->slot);
    csr_clear(mie, MIP_MEIP);
    irq_devices[d->slot] = d;
    trap_hook_m = on_external;
    PLIC_PRIORITY(irq) = 1;
    PLIC_THRESHOLD(PLIC_CTX_HART0_M) = 0;
    PLIC_ENABLE(PLIC_CTX_HART0_M, irq) |= 1u << (irq % 32);
    csr_set(mie, MIP_MEIP);
}

void virtio_irq_disable(struct virtio_dev *d)
{
    unsigned irq = VIRTIO_MMIO_IRQ(d->slot);
    csr_clear(mie, MIP_MEIP);
    PLIC_ENABLE(PLIC_CTX_HART0_M, irq) &= ~(1u << (irq % 32));
    PLIC_PRIORITY(irq) = 0;
    irq_devices[d->slot] = NULL;
}

void virtio_irq_wait(struct virtio_dev *d, uint32_t seen, uint64_t deadline)
{
    /* MIE stays off while deciding to sleep, so an interrupt between the check and the WFI stays
     * pending and wakes it; the interrupt is then taken in the short MIE window. The machine timer
     * at the deadline ends a sleep the device never interrupts. */
    *clint_mtimecmp(0) = deadline;
    csr_set(mie, MIP_MTIP);
    while (d->irqs == seen && clint_mtime() < deadline) {
        wfi();
        csr_set(mstatus, MSTATUS_MIE);
        csr_clear(mstatus, MSTATUS_MIE);
    }
    csr_clear(mie, MIP_MTIP);
    *clint_mtimecmp(0) = ~0ull;
}
