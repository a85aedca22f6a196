/* A guest that breaks the virtio rules on purpose: the device must neither crash nor hang the
 * emulator nor report success, and must work again after a reset (virtio 1.2, 2.1.2 and 2.7.5:
 * a device that meets an error it cannot report sets DEVICE_NEEDS_RESET).
 *
 * Each case puts one request in the avail ring by hand (desc[0..], the driver's free list is
 * thrown away by the reset that follows), notifies, and waits up to BAD_WAIT for the device's
 * verdict. Allowed: the request completes with a status other than OK, or (modern transport)
 * Status gains DEVICE_NEEDS_RESET, or (legacy, which has no such bit) nothing happens. Not
 * allowed: completion with OK, an emulator crash or hang. After each case the device is reset and
 * initialised again, and a read of sector 0 must succeed.
 *   loop          a descriptor chain that loops back to its head
 *   outside_ram   a data buffer beyond the end of RAM: QEMU 7.2 completes it with OK (its DMA
 *                 into unassigned memory is dropped), so here too only the rest is checked
 *   bad_indirect  an indirect table whose length is not a multiple of 16
 *   chain_too_long  an indirect chain with more entries than the queue size: the driver MUST NOT
 *                 (2.7.5.3.1) but the device's reaction is not specified, and QEMU performs it;
 *                 here only "no crash, no hang, works after a reset" is checked */
#include "vblk.h"

#define BAD_WAIT (VIRT_TIMEBASE_HZ / 5) /* 200 ms of mtime */
#define OUTSIDE_RAM 0x90000000ul         /* -m 128M: RAM ends at 0x88000000 */

static struct vblk blk;
static struct {
    uint32_t type, reserved;
    uint64_t sector;
} hdr;
static volatile uint8_t status;
static uint8_t data[VBLK_SECTOR] __attribute__((aligned(64)));
static struct virtq_desc table[VBLK_QUEUE_NUM * 2] __attribute__((aligned(16)));

static void set_desc(struct virtq_desc *d, const volatile void *addr, uint32_t len, uint16_t flags, uint16_t next)
{
    d->addr = (uintptr_t)addr;
    d->len = len;
    d->flags = flags;
    d->next = next;
}

/* Publishes desc[0] as a request head, notifies, and judges what the device does. */
static void judge(const char *name, bool may_succeed)
{
    struct virtq *q = &blk.q;
    status = 0xff;
    q->avail->ring[q->avail_idx % q->num] = 0;
    q->avail_idx++;
    fence();
    q->avail->idx = q->avail_idx;
    virtq_kick(q);

    uint64_t deadline = clint_mtime() + BAD_WAIT;
    bool completed = false, needs_reset = false;
    while (clint_mtime() < deadline && !completed && !needs_reset) {
        completed = q->used->idx != q->last_used;
        needs_reset = (virtio_status(&blk.dev) & VIRTIO_STATUS_NEEDS_RESET) != 0;
    }
    fence();
    printf("%s: %s\n", name,
           needs_reset ? "device needs reset"
           : completed ? (status != VIRTIO_BLK_S_OK ? "completed with an error status"
                          : may_succeed ? "completed OK" : "completed OK (wrong)")
                       : "no completion");
    if (!may_succeed)
        CHECK(!(completed && status == VIRTIO_BLK_S_OK && !needs_reset));

    /* recovery: reset, initialise, read */
    CHECK_EQ(vblk_init(&blk, 0, VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC), false), 0);
    CHECK_EQ(virtio_status(&blk.dev) & VIRTIO_STATUS_NEEDS_RESET, 0);
    CHECK_EQ(vblk_io(&blk, VIRTIO_BLK_T_IN, 0, data, VBLK_SECTOR), VIRTIO_BLK_S_OK);
}

int guest_main(unsigned hartid)
{
    (void)hartid;
    CHECK_EQ(vblk_init(&blk, 0, VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC), false), 0);
    CHECK(blk.q.indirect); /* QEMU and locklab offer it; the last two cases need it */
    printf("virtio-mmio version %u\n", blk.dev.version);
    hdr.type = VIRTIO_BLK_T_IN;
    hdr.sector = 0;
    struct virtq_desc *d = blk.q.desc;

    set_desc(&d[0], &hdr, sizeof hdr, VIRTQ_DESC_F_NEXT, 1);
    set_desc(&d[1], data, VBLK_SECTOR, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 0); /* back to 0 */
    judge("loop", false);

    d = blk.q.desc;
    set_desc(&d[0], &hdr, sizeof hdr, VIRTQ_DESC_F_NEXT, 1);
    set_desc(&d[1], (void *)OUTSIDE_RAM, VBLK_SECTOR, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
    set_desc(&d[2], &status, 1, VIRTQ_DESC_F_WRITE, 0);
    judge("outside_ram", true);

    d = blk.q.desc;
    set_desc(&table[0], &hdr, sizeof hdr, VIRTQ_DESC_F_NEXT, 1);
    set_desc(&table[1], data, VBLK_SECTOR, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
    set_desc(&table[2], &status, 1, VIRTQ_DESC_F_WRITE, 0);
    set_desc(&d[0], table, 3 * 16 + 8, VIRTQ_DESC_F_INDIRECT, 0);
    judge("bad_indirect", false);

    d = blk.q.desc;
    unsigned n = blk.q.num + 2; /* header, num data sectors, status */
    set_desc(&table[0], &hdr, sizeof hdr, VIRTQ_DESC_F_NEXT, 1);
    for (unsigned i = 1; i + 1 < n; i++)
        set_desc(&table[i], data, VBLK_SECTOR, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, (uint16_t)(i + 1));
    set_desc(&table[n - 1], &status, 1, VIRTQ_DESC_F_WRITE, 0);
    set_desc(&d[0], table, 16 * n, VIRTQ_DESC_F_INDIRECT, 0);
    judge("chain_too_long", true);

    vblk_shutdown(&blk);
    return 0;
}
