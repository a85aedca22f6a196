/* virtio-blk requests over one shared queue (see vblk.h). */
#include "vblk.h"

extern const unsigned guest_harts; /* runtime.c / GUEST_HARTS */

/* With event-idx the device interrupts once per batch it completes after used_event; another hart
 * may reap (and so move used_event past) the completion hart 0 sleeps for, and then no interrupt
 * comes for it. With several harts, hart 0 therefore sleeps at most this long between looks. */
#define SHARED_WAIT_SLICE (VIRT_TIMEBASE_HZ / 1000)

int vblk_init(struct vblk *b, unsigned nth, uint64_t extra, bool irq)
{
    if (b->dev.base) {
        vblk_shutdown(b);
    } else if (!virtio_find(VIRTIO_ID_BLOCK, nth, &b->dev)) {
        printf("vblk: no virtio-blk device %u in the virtio-mmio slots\n", nth);
        return -1;
    }
    int rc = virtio_negotiate(&b->dev, VIRTIO_FEATURE(VIRTIO_BLK_F_FLUSH) | extra);
    if (rc < 0) {
        printf("vblk: feature negotiation failed at step %d (offered 0x%lx)\n", -rc, b->dev.offered);
        return -2;
    }
    if (virtq_setup(&b->dev, &b->q, 0, b->ring_mem, VBLK_QUEUE_NUM) < 0) {
        printf("vblk: request queue 0 unavailable\n");
        virtio_write32(&b->dev, VIRTIO_MMIO_STATUS, virtio_status(&b->dev) | VIRTIO_STATUS_FAILED);
        return -3;
    }
    b->capacity = virtio_config64(&b->dev, 0);
    b->irq = irq;
    if (irq)
        virtio_irq_enable(&b->dev);
    virtio_driver_ok(&b->dev);
    return 0;
}

void vblk_shutdown(struct vblk *b)
{
    if (b->irq)
        virtio_irq_disable(&b->dev);
    b->irq = false;
    virtio_reset(&b->dev);
}

bool vblk_submit(struct vblk *b, struct vblk_req *r, uint32_t type, uint64_t sector,
                 const struct virtq_buf *data, unsigned n)
{
    if (n > VBLK_MAX_SEGS || n + 2 > b->q.num)
        return false;
    r->hdr.type = type;
    r->hdr.reserved = 0;
    r->hdr.sector = sector;
    r->status = 0xff; /* not a status the device can write */
    r->done = false;
    r->written = 0;
    struct virtq_buf bufs[VBLK_MAX_SEGS + 2];
    bufs[0] = (struct virtq_buf){.addr = &r->hdr, .len = sizeof r->hdr, .device_writes = false};
    bool device_writes = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
    for (unsigned i = 0; i < n; i++)
        bufs[1 + i] = (struct virtq_buf){.addr = data[i].addr, .len = data[i].len, .device_writes = device_writes};
    bufs[n + 1] = (struct virtq_buf){.addr = (void *)&r->status, .len = 1, .device_writes = true};

    uint64_t deadline = clint_mtime() + VBLK_TIMEOUT;
    for (;;) {
        spin_lock(&b->q.lock);
        bool queued = virtq_add(&b->q, bufs, n + 2, r, r->table);
        if (queued)
            virtq_kick(&b->q);
        spin_unlock(&b->q.lock);
        if (queued)
            return true;
        vblk_reap(b); /* the ring is full: make room from finished requests */
        if (clint_mtime() > deadline)
            return false;
    }
}

unsigned vblk_reap(struct vblk *b)
{
    unsigned n = 0;
    uint32_t len;
    spin_lock(&b->q.lock);
    struct vblk_req *r;
    while ((r = virtq_get_used(&b->q, &len)) != NULL) {
        r->written = len;
        __atomic_store_n(&r->done, true, __ATOMIC_RELEASE);
        n++;
    }
    spin_unlock(&b->q.lock);
    return n;
}

/* One look for completions; if there were none, sleeps (hart 0 in interrupt mode) or spins once.
 * Returns how many requests it marked done. */
static unsigned progress(struct vblk *b, uint64_t deadline)
{
    uint32_t seen = b->dev.irqs;
    unsigned n = vblk_reap(b);
    if (n || !b->irq || hart_id() != 0)
        return n;
    uint64_t until = deadline;
    if (guest_harts > 1 && clint_mtime() + SHARED_WAIT_SLICE < until)
        until = clint_mtime() + SHARED_WAIT_SLICE;
    virtio_irq_wait(&b->dev, seen, until);
    return 0;
}

int vblk_wait(struct vblk *b, struct vblk_req *r)
{
    uint64_t deadline = clint_mtime() + VBLK_TIMEOUT;
    while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
        if (clint_mtime() > deadline)
            return VBLK_TIMED_OUT;
        progress(b, deadline);
    }
    return r->status;
}

int vblk_wait_any(struct vblk *b)
{
    uint64_t deadline = clint_mtime() + VBLK_TIMEOUT;
    for (;;) {
        unsigned n = progress(b, deadline);
        if (n)
            return (int)n;
        if (clint_mtime() > deadline)
            return VBLK_TIMED_OUT;
    }
}

int vblk_io(struct vblk *b, uint32_t type, uint64_t sector, void *buf, uint32_t len)
{
    struct vblk_req r;
    struct virtq_buf data = {.addr = buf, .len = len};
    if (!vblk_submit(b, &r, type, sector, &data, buf ? 1 : 0))
        return VBLK_TIMED_OUT;
    return vblk_wait(b, &r);
}
