/* virtio-blk through the guest's own driver (common/vblk.h): reads, writes, flushes and get-id on
 * the first virtio-blk disk, which the harness (run_disk_guest.py) prepared: DISK_SECTORS sectors,
 * every one "stamped": sector s written with seed k holds pattern_byte(k, s, j) at byte j (its
 * first 8 bytes are k << 40 | s, little-endian). Checks:
 *
 *   set-up (hart 0): the transport version, capacity, get-id, a read beyond the capacity fails;
 *     the whole disk is read and every sector must be a consistent stamp; the digest of the seeds
 *     is printed (`disk digest ...`) and the harness compares it with the image it gave us, so
 *     an image written by another emulator or by qemu-img is read back exactly;
 *   pass 1 (polling, plain descriptors): each hart writes the table `pass1` in its own range
 *     (seed 2), flushes, reads every write back;
 *   pass 2 (device reset and initialised again with indirect descriptors and event-idx when
 *     offered, hart 0 waiting for interrupts through the PLIC): each hart writes `pass2` (seed 3),
 *     partly over pass 1, flushes, then reads its whole range back against what it expects.
 *
 * Every write is logged (`blk write <sector> <count> <seed>`): the harness replays the log onto
 * its copy of the image and checks the disk image with qemu-img check and qemu-img compare.
 * With VBLK_HARTS=4 the harts share the request queue (common/vblk.c takes its lock) and each
 * writes a quarter of the disk. */
#include "vblk.h"

#ifndef VBLK_HARTS
#define VBLK_HARTS 1
#endif
GUEST_HARTS(VBLK_HARTS);

#define DISK_SECTORS 4096u /* run_disk_guest.py's 2 MiB image */
#define RANGE (DISK_SECTORS / VBLK_HARTS)
#define LAST_IN_RANGE 0xffffffffu /* a write's offset: the last sector of the hart's range */
#define BUF_SECTORS 320u
#define CHUNK_SECTORS 256u /* whole-range reads */

struct write {
    uint32_t offset; /* in the hart's range */
    uint32_t count;  /* sectors */
    uint32_t segs;   /* data buffers it is split into */
};

struct pass {
    const char *name;
    uint64_t features; /* wanted besides FLUSH */
    bool irq;
    uint8_t seed;
    const struct write *writes;
    unsigned nwrites;
};

/* Single sectors, writes across 4 KiB and 64 KiB (qcow2 cluster) boundaries, a whole cluster,
 * requests split into several buffers, the last sector of the range. */
static const struct write pass1[] = {
    {1, 1, 1}, {7, 9, 1}, {120, 16, 1}, {500, 24, 3}, {LAST_IN_RANGE, 1, 1},
};
static const struct write pass2[] = {
    {8, 4, 1}, {130, 2, 2}, {256, 128, 1}, {600, 300, 4},
};
static const struct pass passes[2] = {
    {"polling, plain descriptors", 0, false, 2, pass1, sizeof pass1 / sizeof pass1[0]},
    {"interrupts, indirect descriptors and event-idx",
     VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC) | VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX), true, 3, pass2,
     sizeof pass2 / sizeof pass2[0]},
};

static struct vblk blk;
static uint8_t buffers[VBLK_HARTS][BUF_SECTORS * VBLK_SECTOR] __attribute__((aligned(64)));
static uint8_t initial_seed[DISK_SECTORS]; /* written by hart 0 before the passes */
static volatile uint32_t arrived[4];       /* barrier counters, atomic add only */

static void barrier(unsigned n)
{
    __atomic_fetch_add(&arrived[n], 1, __ATOMIC_ACQ_REL);
    while (__atomic_load_n(&arrived[n], __ATOMIC_ACQUIRE) != VBLK_HARTS)
        ;
}

static uint8_t pattern_byte(unsigned seed, uint64_t sector, unsigned j)
{
    if (j < 8)
        return (uint8_t)((((uint64_t)seed << 40) | sector) >> (8 * j));
    return (uint8_t)(j * 7 + sector * 13 + seed * 101);
}

static void fill(uint8_t *buf, unsigned seed, uint64_t sector, unsigned count)
{
    for (unsigned s = 0; s < count; s++)
        for (unsigned j = 0; j < VBLK_SECTOR; j++)
            buf[s * VBLK_SECTOR + j] = pattern_byte(seed, sector + s, j);
}

/* The seed sector `sector` is stamped with if buf holds a consistent stamp of it, else 0. */
static unsigned sector_seed(const uint8_t *buf, uint64_t sector)
{
    uint64_t stamp = 0;
    for (unsigned j = 0; j < 8; j++)
        stamp |= (uint64_t)buf[j] << (8 * j);
    unsigned seed = (unsigned)(stamp >> 40);
    if ((stamp & ((1ull << 40) - 1)) != sector || seed == 0 || seed > 255)
        return 0;
    for (unsigned j = 8; j < VBLK_SECTOR; j++)
        if (buf[j] != pattern_byte(seed, sector, j))
            return 0;
    return seed;
}

static uint32_t write_sector(const struct write *w, unsigned hart)
{
    return hart * RANGE + (w->offset == LAST_IN_RANGE ? RANGE - 1 : w->offset);
}

/* The seed a sector of this hart's range must have after `passes_done` passes. */
static unsigned expected_seed(uint32_t sector, unsigned hart, unsigned passes_done)
{
    unsigned seed = initial_seed[sector];
    for (unsigned p = 0; p < passes_done; p++)
        for (unsigned i = 0; i < passes[p].nwrites; i++) {
            uint32_t first = write_sector(&passes[p].writes[i], hart);
            if (sector >= first && sector < first + passes[p].writes[i].count)
                seed = passes[p].seed;
        }
    return seed;
}

/* Splits count sectors into `segs` buffers whose boundaries are not sector aligned (the first is
 * 100 bytes short of an equal share, the last takes the rest). */
static unsigned split(uint8_t *buf, uint32_t count, unsigned segs, struct virtq_buf *out)
{
    uint32_t total = count * VBLK_SECTOR, share = total / segs, at = 0;
    for (unsigned i = 0; i < segs; i++) {
        uint32_t len = i + 1 == segs ? total - at : (i == 0 && segs > 1 ? share - 100 : share);
        out[i] = (struct virtq_buf){.addr = buf + at, .len = len};
        at += len;
    }
    return segs;
}

static int transfer(uint32_t type, uint32_t sector, uint32_t count, unsigned segs, uint8_t *buf)
{
    struct vblk_req r;
    struct virtq_buf data[VBLK_MAX_SEGS];
    unsigned n = split(buf, count, segs, data);
    CHECK(vblk_submit(&blk, &r, type, sector, data, n));
    return vblk_wait(&blk, &r);
}

/* Reads sectors [first, first + count) and checks each one's seed against expected_seed. */
static void verify_range(unsigned hart, uint32_t first, uint32_t count, unsigned passes_done)
{
    uint8_t *buf = buffers[hart];
    for (uint32_t at = first; at < first + count; at += CHUNK_SECTORS) {
        uint32_t n = first + count - at < CHUNK_SECTORS ? first + count - at : CHUNK_SECTORS;
        CHECK_EQ(transfer(VIRTIO_BLK_T_IN, at, n, 1, buf), VIRTIO_BLK_S_OK);
        for (uint32_t s = 0; s < n; s++) {
            unsigned got = sector_seed(buf + s * VBLK_SECTOR, at + s);
            if (got != expected_seed(at + s, hart, passes_done)) {
                printf("sector %u: seed %u, want %u\n", at + s, got, expected_seed(at + s, hart, passes_done));
                CHECK_EQ(got, expected_seed(at + s, hart, passes_done));
            }
        }
    }
}

static void run_pass(unsigned p, unsigned hart)
{
    const struct pass *ps = &passes[p];
    uint8_t *buf = buffers[hart];
    for (unsigned i = 0; i < ps->nwrites; i++) {
        const struct write *w = &ps->writes[i];
        uint32_t sector = write_sector(w, hart);
        fill(buf, ps->seed, sector, w->count);
        CHECK_EQ(transfer(VIRTIO_BLK_T_OUT, sector, w->count, w->segs, buf), VIRTIO_BLK_S_OK);
        printf("blk write %u %u %u\n", sector, w->count, ps->seed);
    }
    CHECK_EQ(vblk_io(&blk, VIRTIO_BLK_T_FLUSH, 0, NULL, 0), VIRTIO_BLK_S_OK);
    for (unsigned i = 0; i < ps->nwrites; i++) {
        const struct write *w = &ps->writes[i];
        uint32_t sector = write_sector(w, hart);
        for (uint32_t j = 0; j < w->count * VBLK_SECTOR; j++)
            ((volatile uint8_t *)buf)[j] = 0; /* volatile: no memset here */
        CHECK_EQ(transfer(VIRTIO_BLK_T_IN, sector, w->count, w->segs, buf), VIRTIO_BLK_S_OK);
        for (uint32_t s = 0; s < w->count; s++)
            CHECK_EQ(sector_seed(buf + s * VBLK_SECTOR, sector + s), ps->seed);
    }
}

static void init_pass(unsigned p)
{
    CHECK_EQ(vblk_init(&blk, 0, passes[p].features, passes[p].irq), 0);
    printf("pass %u: %s (features 0x%lx: indirect %u, event-idx %u)\n", p + 1, passes[p].name,
           blk.dev.features, blk.q.indirect, blk.q.event_idx);
}

static void set_up(void)
{
    init_pass(0);
    printf("virtio-blk in slot %u, virtio-mmio version %u, %lu sectors\n", blk.dev.slot,
           blk.dev.version, blk.capacity);
    CHECK_EQ(blk.capacity, DISK_SECTORS);
    CHECK(blk.dev.offered & VIRTIO_FEATURE(VIRTIO_BLK_F_FLUSH));
    CHECK(!(blk.dev.offered & VIRTIO_FEATURE(VIRTIO_BLK_F_RO)));
    CHECK(blk.q.num >= 8);

    /* get-id: up to 20 bytes, NUL-terminated if shorter (5.2.6) */
    char id[VIRTIO_BLK_ID_BYTES + 1] = {0};
    CHECK_EQ(vblk_io(&blk, VIRTIO_BLK_T_GET_ID, 0, id, VIRTIO_BLK_ID_BYTES), VIRTIO_BLK_S_OK);
    printf("get-id: \"%s\"\n", id);

    /* a read past the end is not performed: the device reports an error, never OK */
    uint8_t *buf = buffers[0];
    CHECK(vblk_io(&blk, VIRTIO_BLK_T_IN, DISK_SECTORS, buf, VBLK_SECTOR) != VIRTIO_BLK_S_OK);

    uint32_t digest = 0x811c9dc5u; /* FNV-1a over the sectors' seeds */
    for (uint32_t at = 0; at < DISK_SECTORS; at += CHUNK_SECTORS) {
        CHECK_EQ(vblk_io(&blk, VIRTIO_BLK_T_IN, at, buf, CHUNK_SECTORS * VBLK_SECTOR), VIRTIO_BLK_S_OK);
        for (uint32_t s = 0; s < CHUNK_SECTORS; s++) {
            unsigned seed = sector_seed(buf + s * VBLK_SECTOR, at + s);
            if (!seed)
                printf("sector %u holds no consistent stamp\n", at + s);
            CHECK(seed != 0);
            initial_seed[at + s] = (uint8_t)seed;
            digest = (digest ^ seed) * 0x01000193u;
        }
    }
    printf("disk digest %u sectors 0x%08x\n", DISK_SECTORS, digest);
}

int guest_main(unsigned hartid)
{
    if (hartid == 0)
        set_up();
    barrier(0);
    run_pass(0, hartid);
    barrier(1);
    if (hartid == 0)
        init_pass(1);
    barrier(2);
    run_pass(1, hartid);
    verify_range(hartid, hartid * RANGE, RANGE, 2);
    barrier(3);
    if (hartid != 0)
        return 0;
    /* Pass 2 runs with interrupts: if hart 0 reaped every completion before it had to sleep (a
     * loaded host can delay it that long), the interrupt of the last one is still pending
     * (level-triggered until acknowledged; used_event asked for it) and is taken here. */
    if (blk.dev.irqs == 0)
        virtio_irq_wait(&blk.dev, 0, clint_mtime() + VIRT_TIMEBASE_HZ);
    CHECK(blk.dev.irqs > 0);
    CHECK_EQ(vblk_io(&blk, VIRTIO_BLK_T_FLUSH, 0, NULL, 0), VIRTIO_BLK_S_OK);
    printf("%u notifications, %u interrupts in pass 2\n", blk.q.notifies, blk.dev.irqs);
    vblk_shutdown(&blk);
    return 0;
}
