/* A write storm for the crash-safety test (blk_crash.py), which SIGKILLs the emulator at random
 * points and then checks the image.
 *
 * Every sector of the disk is either never written (all zero) or stamped with the generation that
 * last wrote it: bytes 0..7 the generation, 8..15 the sector number (little-endian), then
 * stamp_byte(). At start the guest reads the whole disk, fails on a sector whose first 16 bytes
 * are neither zero nor a stamp of that sector (the harness checks every byte), and continues from
 * the highest generation found + 1 (so successive runs on one image keep counting up). Then, for each generation: STORM_BATCH writes of 1..8 sectors in distinct 8-sector slots,
 * all in flight at once; once they completed it prints
 *     gen G writes S:N S:N ...
 * then a flush, and once the flush completed
 *     flushed G
 * The harness's promise to check: after a kill, every sector a generation <= the last "flushed"
 * one wrote holds that generation or a later one. Ends (PASS) after STORM_GENS generations. */
#include "vblk.h"

#define STORM_SECTORS 65536u /* blk_crash.py's 32 MiB image: qcow2 keeps allocating clusters */
#define SLOT_SECTORS 8u
#define SLOTS (STORM_SECTORS / SLOT_SECTORS)
#define SLOT_STRIDE 37u /* odd: STORM_BATCH consecutive multiples hit distinct slots */
#define STORM_BATCH 8u
#define SCAN_SECTORS 256u
#ifndef STORM_GENS
#define STORM_GENS 1000000u
#endif

static struct vblk blk;
static uint8_t data[STORM_BATCH][SLOT_SECTORS * VBLK_SECTOR] __attribute__((aligned(64)));
static uint8_t scan[SCAN_SECTORS * VBLK_SECTOR] __attribute__((aligned(64)));
static struct vblk_req reqs[STORM_BATCH];

static uint8_t stamp_byte(uint64_t gen, uint64_t sector, unsigned j)
{
    if (j < 8)
        return (uint8_t)(gen >> (8 * j));
    if (j < 16)
        return (uint8_t)(sector >> (8 * (j - 8)));
    return (uint8_t)(gen * 7 + sector * 3 + j);
}

/* The generation sector `sector` holds (0: never written), or -1 if its first 16 bytes are
 * neither zero nor a stamp of this sector. */
static int64_t sector_gen(const uint8_t *buf, uint64_t sector)
{
    uint64_t gen = 0;
    for (unsigned j = 0; j < 8; j++)
        gen |= (uint64_t)buf[j] << (8 * j);
    for (unsigned j = 8; j < 16; j++)
        if (buf[j] != (gen ? stamp_byte(gen, sector, j) : 0))
            return -1;
    return (int64_t)gen;
}

static uint64_t scan_disk(void)
{
    uint64_t highest = 0;
    for (uint32_t at = 0; at < STORM_SECTORS; at += SCAN_SECTORS) {
        CHECK_EQ(vblk_io(&blk, VIRTIO_BLK_T_IN, at, scan, sizeof scan), VIRTIO_BLK_S_OK);
        for (uint32_t s = 0; s < SCAN_SECTORS; s++) {
            int64_t gen = sector_gen(scan + s * VBLK_SECTOR, at + s);
            if (gen < 0)
                printf("sector %u is neither zero nor a consistent stamp\n", at + s);
            CHECK(gen >= 0);
            if ((uint64_t)gen > highest)
                highest = (uint64_t)gen;
        }
    }
    return highest;
}

static uint64_t rng_state;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32);
}

int guest_main(unsigned hartid)
{
    (void)hartid;
    CHECK_EQ(vblk_init(&blk, 0, VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC), false), 0);
    CHECK_EQ(blk.capacity, STORM_SECTORS);
    uint64_t first = scan_disk() + 1;
    rng_state = clint_mtime() | 1;
    printf("storm starts at gen %lu\n", first);

    for (uint64_t gen = first; gen < first + STORM_GENS; gen++) {
        uint32_t base = rng(), sector[STORM_BATCH], count[STORM_BATCH];
        for (unsigned k = 0; k < STORM_BATCH; k++) {
            uint32_t slot = (base + k * SLOT_STRIDE) % SLOTS;
            count[k] = 1 + rng() % SLOT_SECTORS;
            sector[k] = slot * SLOT_SECTORS + rng() % (SLOT_SECTORS - count[k] + 1);
            for (uint32_t s = 0; s < count[k]; s++)
                for (unsigned j = 0; j < VBLK_SECTOR; j++)
                    data[k][s * VBLK_SECTOR + j] = stamp_byte(gen, sector[k] + s, j);
            struct virtq_buf buf = {.addr = data[k], .len = count[k] * VBLK_SECTOR};
            CHECK(vblk_submit(&blk, &reqs[k], VIRTIO_BLK_T_OUT, sector[k], &buf, 1));
        }
        for (unsigned k = 0; k < STORM_BATCH; k++)
            CHECK_EQ(vblk_wait(&blk, &reqs[k]), VIRTIO_BLK_S_OK);
        printf("gen %lu writes", gen);
        for (unsigned k = 0; k < STORM_BATCH; k++)
            printf(" %u:%u", sector[k], count[k]);
        printf("\n");
        CHECK_EQ(vblk_io(&blk, VIRTIO_BLK_T_FLUSH, 0, NULL, 0), VIRTIO_BLK_S_OK);
        printf("flushed %lu\n", gen);
    }
    vblk_shutdown(&blk);
    return 0;
}
