/* virtio-blk requests (virtio 1.2, 5.2) on top of virtio_mmio.h, for the disk guests and the block
 * benchmark: read, write, flush and get-id, any number of requests in flight, from any hart.
 *
 * One request queue (queue 0) shared by every hart: submitting and reaping completions happen
 * under q.lock (a spin lock), and whoever reaps marks each finished request done, so a hart
 * waiting for its own request may find it completed by another. In interrupt mode hart 0 sleeps
 * until the device interrupts; the other harts poll. */
#pragma once

#include "virtio_mmio.h"

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_ID_BYTES 20

#define VBLK_SECTOR 512u
#define VBLK_MAX_SEGS 8    /* data buffers per request */
#define VBLK_QUEUE_NUM 64  /* ring entries asked for */
#define VBLK_TIMEOUT (30 * VIRT_TIMEBASE_HZ) /* mtime ticks a request may take */
#define VBLK_TIMED_OUT (-1)

struct vblk_req {
    struct {
        uint32_t type;
        uint32_t reserved;
        uint64_t sector;
    } hdr;                 /* the device reads it */
    volatile uint8_t status; /* the device writes it last */
    volatile bool done;    /* set (release) by the hart that reaped the completion */
    uint32_t written;      /* bytes the device reported writing */
    struct virtq_desc table[VBLK_MAX_SEGS + 2]; /* the indirect chain, when negotiated */
};

struct vblk {
    struct virtio_dev dev;
    struct virtq q;   /* driver side under q.lock */
    uint64_t capacity; /* sectors of 512 bytes */
    bool irq;          /* hart 0 waits for interrupts instead of polling */
    uint8_t ring_mem[VIRTQ_MEM_SIZE(VBLK_QUEUE_NUM)] __attribute__((aligned(VIRTQ_ALIGN)));
};

/* Finds the nth virtio-blk device and initialises it, negotiating FLUSH plus `extra` features
 * (e.g. VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC)) when offered; `irq` selects interrupt-driven
 * completion. May be called again on a live device (it resets it first). Returns 0, or a negative
 * value naming the step that failed (printed). */
int vblk_init(struct vblk *b, unsigned nth, uint64_t extra, bool irq);
/* Resets the device and stops its interrupts. */
void vblk_shutdown(struct vblk *b);

/* Queues one request: `data` holds its n data buffers (device-writable for IN and GET_ID). Waits
 * for ring space if the queue is full. Returns false if the request can never fit. */
bool vblk_submit(struct vblk *b, struct vblk_req *r, uint32_t type, uint64_t sector,
                 const struct virtq_buf *data, unsigned n);
/* Marks every completed request done; returns how many. */
unsigned vblk_reap(struct vblk *b);
/* Waits until r is done: its status, or VBLK_TIMED_OUT. */
int vblk_wait(struct vblk *b, struct vblk_req *r);
/* Waits until at least one request completes (reaped by this hart): how many, or VBLK_TIMED_OUT. */
int vblk_wait_any(struct vblk *b);
/* Submit and wait, one data buffer (NULL/0 for FLUSH). */
int vblk_io(struct vblk *b, uint32_t type, uint64_t sector, void *buf, uint32_t len);
