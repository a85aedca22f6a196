/* A small virtio-mmio driver for the bare-metal guests: finding devices in the `virt` board's eight
 * slots, device initialisation for the legacy (version 1) and the modern (version 2) register
 * layout, split virtqueues (optionally with indirect descriptors and event-idx), and completion
 * by polling or by interrupt through the PLIC. Register names and the sequence follow the virtio
 * 1.2 specification, section 4.2 (virtio over MMIO) and 2.7 (split virtqueues); the legacy layout
 * is its section 4.2.4.
 *
 * The guest runs in M-mode without paging, so a pointer is the physical address the device sees.
 * Nothing here takes a lock: a virtqueue shared between harts is protected by its user (vq->lock
 * is there for that); the interrupt handler touches no virtqueue, it only acknowledges the device
 * and counts (struct virtio_dev.irqs). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest.h"

#define VIRTIO_MMIO_BASE 0x10001000ul
#define VIRTIO_MMIO_STRIDE 0x1000ul
#define VIRTIO_MMIO_SLOTS 8
#define VIRTIO_MMIO_IRQ(slot) (1u + (slot)) /* PLIC source of slot i */
#define VIRTIO_MMIO_MAGIC 0x74726976u       /* "virt" */

/* register offsets (4.2.2; legacy-only ones from 4.2.4) */
#define VIRTIO_MMIO_MAGIC_VALUE 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_GUEST_PAGE_SIZE 0x028 /* legacy */
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_ALIGN 0x03c /* legacy */
#define VIRTIO_MMIO_QUEUE_PFN 0x040   /* legacy */
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG 0x100

/* device status (2.1) */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED 128u

/* InterruptStatus bits */
#define VIRTIO_INT_USED_BUFFER 1u
#define VIRTIO_INT_CONFIG_CHANGE 2u

/* device-independent feature bits (6) */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_FEATURE(bit) (1ull << (bit))

#define VIRTIO_ID_BLOCK 2

/* split virtqueue (2.7) */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1
#define VIRTQ_ALIGN 4096 /* legacy QueueAlign, and the alignment of the rings' memory */

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[]; /* num entries, then used_event (with event-idx) */
};

struct virtq_used_elem {
    uint32_t id; /* head descriptor of the completed chain */
    uint32_t len; /* bytes the device wrote */
};

struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[]; /* num entries, then avail_event (with event-idx) */
};

struct virtio_dev {
    uintptr_t base;   /* the slot's registers */
    unsigned slot;    /* 0..7 */
    unsigned version; /* 1: legacy, 2: modern */
    uint64_t offered; /* what the device offered */
    uint64_t features; /* what was negotiated */
    volatile uint32_t irqs; /* interrupts taken for this device (the handler's hart writes) */
};

/* What the caller puts in the queue memory it hands virtq_setup (bytes for `num` entries in the
 * legacy layout with VIRTQ_ALIGN, which serves both versions). */
#define VIRTQ_MEM_SIZE(num) \
    ((((16ul * (num) + 6 + 2ul * (num)) + VIRTQ_ALIGN - 1) & ~(VIRTQ_ALIGN - 1ul)) + 6 + 8ul * (num))

#define VIRTQ_MAX_NUM 256

struct virtq {
    struct virtio_dev *dev;
    unsigned index;
    uint16_t num;
    struct virtq_desc *desc;
    volatile struct virtq_avail *avail;
    volatile struct virtq_used *used;
    bool indirect;            /* VIRTIO_F_INDIRECT_DESC negotiated */
    bool event_idx;           /* VIRTIO_F_EVENT_IDX negotiated */
    /* The driver's side, protected by the user's lock (vq->lock when harts share the queue): */
    uint16_t free_head, num_free;
    uint16_t avail_idx;   /* next avail ring index to fill */
    uint16_t kicked_idx;  /* avail_idx at the last notification decision */
    uint16_t last_used;   /* next used ring index to consume */
    void *cookie[VIRTQ_MAX_NUM]; /* per head descriptor: the caller's token */
    spinlock_t lock;      /* for the user: the queue itself takes no lock */
    uint32_t notifies;    /* QueueNotify writes made (statistics) */
};

/* One buffer of a request: the device reads it, or writes it when device_writes. */
struct virtq_buf {
    void *addr;
    uint32_t len;
    bool device_writes;
};

uint32_t virtio_read32(const struct virtio_dev *d, unsigned offset);
void virtio_write32(const struct virtio_dev *d, unsigned offset, uint32_t value);

/* Finds the nth (0-based) device with `device_id` in the slots; false if there is none. Empty
 * slots (device id 0) and slots without the magic value are skipped. */
bool virtio_find(uint32_t device_id, unsigned nth, struct virtio_dev *d);

/* Reset, ACKNOWLEDGE, DRIVER, then feature negotiation: the driver accepts `wanted` & offered
 * (plus VERSION_1 on a modern device, which must offer it); on a modern device FEATURES_OK is set
 * and read back. Returns 0, or a negative step number on failure (status FAILED is then set). */
int virtio_negotiate(struct virtio_dev *d, uint64_t wanted);

/* Sets up queue `index` in `mem` (VIRTQ_MEM_SIZE(num) bytes, VIRTQ_ALIGN-aligned, zeroed here)
 * with min(num, QueueNumMax) entries. Returns 0, or negative if the queue is unavailable. */
int virtq_setup(struct virtio_dev *d, struct virtq *q, unsigned index, void *mem, unsigned num);

/* DRIVER_OK: the device is live. */
void virtio_driver_ok(struct virtio_dev *d);
/* Writes 0 to Status and waits until it reads back 0 (the device may still finish requests). */
void virtio_reset(struct virtio_dev *d);
uint32_t virtio_status(const struct virtio_dev *d);

/* Config space: a 64-bit field read as two 32-bit halves, consistent through ConfigGeneration on a
 * modern device. */
uint32_t virtio_config32(const struct virtio_dev *d, unsigned offset);
uint64_t virtio_config64(const struct virtio_dev *d, unsigned offset);

/* Queues a request (its buffers in order: device-readable ones first) and publishes it in the
 * avail ring; `cookie` comes back from virtq_get_used. With `indirect` (negotiated) the chain goes
 * into `table` (n entries) and takes one ring descriptor. Returns false if the ring is full (or
 * n is 0 or too long). Does not notify: see virtq_kick. */
bool virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned n, void *cookie,
               struct virtq_desc *table);
/* Notifies the device of what virtq_add published since the last kick, unless the device said it
 * does not need it (used.flags NO_NOTIFY, or avail_event with event-idx). */
void virtq_kick(struct virtq *q);
/* The next completed request's cookie (and the bytes the device wrote in *len), or NULL. Frees its
 * descriptors and, with event-idx, asks for an interrupt at the next completion. */
void *virtq_get_used(struct virtq *q, uint32_t *len);

/* Interrupt-driven completion: routes the device's PLIC source to hart 0's M-mode context and
 * installs the M-mode external-interrupt handler (which acknowledges InterruptStatus and counts
 * in d->irqs). virtio_irq_wait sleeps (WFI) until d->irqs differs from `seen` or mtime passes
 * `deadline`; call it on hart 0 only. */
void virtio_irq_enable(struct virtio_dev *d);
void virtio_irq_disable(struct virtio_dev *d);
void virtio_irq_wait(struct virtio_dev *d, uint32_t seen, uint64_t deadline);
