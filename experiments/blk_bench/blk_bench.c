/* Block benchmark guest (issue 5, "Benchmark"): hart 0 measures virtio-blk throughput through the
 * guest driver (tests/guests/common/vblk.h: interrupt-driven, indirect descriptors and event-idx
 * when offered) while every other hart hammers another device with MMIO round trips.
 *
 * Tests, each for BENCH_MS milliseconds of CLINT mtime (10 MHz), with QD requests in flight:
 *   seq_write   128 KiB requests, sequential (wrapping), QD 4
 *   seq_read    128 KiB requests, sequential, QD 4
 *   rand_read   4 KiB requests at random 4 KiB-aligned offsets, QD 8
 *   rand_write  4 KiB requests at random 4 KiB-aligned offsets, QD 8
 * Output, parsed by run.py:
 *   blk_bench test=<name> ops=<n> bytes=<n> ticks=<mtime ticks> qd=<n>
 *   blk_bench hammer hart=<h> target=<scratch|uart> ops=<n> ticks=<n>
 * Hammer target: the hart's own mmio-scratch (research slot = hart id, store + load of DATA0) when
 * one is there (locklab -device mmio-scratch,id=sN,slot=N), else the UART's line status register
 * (a load; QEMU has no mmio-scratch).
 * Hammer rate: as fast as the hart can (HAMMER_KOPS 0, blk_bench.elf), or paced to HAMMER_KOPS
 * thousand round trips per second per hart (blk_bench_paced.elf): every 64 round trips the hart
 * waits on the time CSR (no MMIO, so no lock) until it is no longer ahead. Flat out, an emulator
 * with a faster MMIO path puts more load on the hammered device's lock; paced, both emulators
 * get the same offered load. */
#include "vblk.h"

#ifndef BENCH_MS
#define BENCH_MS 2000
#endif
#define BENCH_TICKS ((uint64_t)BENCH_MS * (VIRT_TIMEBASE_HZ / 1000))
#ifndef HAMMER_KOPS
#define HAMMER_KOPS 0 /* round trips per second per hammer hart, in thousands; 0: flat out */
#endif
#define MAX_QD 8
#define SEQ_SECTORS 256u /* 128 KiB */
#define RAND_SECTORS 8u  /* 4 KiB */

#define RESEARCH_BASE 0x11000000ul /* devices/virt_memmap.h research slots, devices/mmio_scratch.h */
#define RESEARCH_STRIDE 0x1000ul
#define SCRATCH_MAGIC 0x53435254ul
#define SCRATCH_REG_DATA0 0x40
#define UART_LSR 5

GUEST_HARTS(GUEST_MAX_HARTS);

static struct vblk blk;
static uint8_t buffers[MAX_QD][SEQ_SECTORS * VBLK_SECTOR] __attribute__((aligned(64)));
static struct vblk_req reqs[MAX_QD];
static volatile bool bench_done;        /* set by hart 0 (release) when the tests are over */
static volatile uint32_t harts_started; /* atomic add only */
struct hammer_result {
    uint64_t ops, ticks;
    bool scratch;
};
static struct hammer_result hammer[GUEST_MAX_HARTS]; /* [h] written by hart h before harts_finished */
static volatile uint32_t harts_finished;             /* atomic add only */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

struct test {
    const char *name;
    uint32_t type;
    bool random;
    uint32_t sectors; /* per request */
    unsigned qd;
};

static uint64_t next_sector(const struct test *t, uint64_t *cursor)
{
    if (t->random)
        return (rng() % (blk.capacity / t->sectors)) * t->sectors;
    uint64_t s = *cursor;
    *cursor = s + 2 * t->sectors > blk.capacity ? 0 : s + t->sectors;
    return s;
}

static void submit(const struct test *t, unsigned k, uint64_t *cursor)
{
    struct virtq_buf buf = {.addr = buffers[k], .len = t->sectors * VBLK_SECTOR};
    CHECK(vblk_submit(&blk, &reqs[k], t->type, next_sector(t, cursor), &buf, 1));
}

static void run_test(const struct test *t)
{
    uint64_t cursor = 0, ops = 0;
    uint64_t start = clint_mtime();
    for (unsigned k = 0; k < t->qd; k++)
        submit(t, k, &cursor);
    bool stopping = false;
    unsigned in_flight = t->qd;
    while (in_flight) {
        CHECK(vblk_wait_any(&blk) != VBLK_TIMED_OUT);
        stopping = stopping || clint_mtime() - start >= BENCH_TICKS;
        for (unsigned k = 0; k < t->qd; k++) {
            if (!reqs[k].done || reqs[k].status == 0xfe)
                continue;
            CHECK_EQ(reqs[k].status, VIRTIO_BLK_S_OK);
            ops++;
            if (stopping) {
                reqs[k].status = 0xfe; /* retired: counted, not resubmitted */
                in_flight--;
            } else {
                submit(t, k, &cursor);
            }
        }
    }
    uint64_t ticks = clint_mtime() - start;
    printf("blk_bench test=%s ops=%lu bytes=%lu ticks=%lu qd=%u\n", t->name, ops,
           ops * t->sectors * VBLK_SECTOR, ticks, t->qd);
}

static void hammer_loop(unsigned hart)
{
    volatile uint64_t *data = (volatile uint64_t *)(RESEARCH_BASE + RESEARCH_STRIDE * hart + SCRATCH_REG_DATA0);
    volatile uint32_t *magic = (volatile uint32_t *)(RESEARCH_BASE + RESEARCH_STRIDE * hart);
    uint32_t seen = 0;
    struct trap_record rec = TRAP_OF(seen = *magic); /* QEMU: nothing there, an access fault */
    bool scratch = rec.cause == TRAP_NONE && seen == SCRATCH_MAGIC;
    volatile uint8_t *uart = (volatile uint8_t *)VIRT_UART_BASE;
    __atomic_fetch_add(&harts_started, 1, __ATOMIC_ACQ_REL);
    uint64_t ops = 0, start = clint_mtime(), start_time = rdtime();
    while (!__atomic_load_n(&bench_done, __ATOMIC_ACQUIRE)) {
        for (unsigned i = 0; i < 64; i++) {
            if (scratch) {
                *data = ops + i;
                CHECK_EQ(*data, ops + i);
            } else {
                (void)uart[UART_LSR];
            }
        }
        ops += 64;
        if (HAMMER_KOPS) /* paced: wait (time CSR) until ops <= HAMMER_KOPS * elapsed ms */
            while (ops * (VIRT_TIMEBASE_HZ / 1000) > (rdtime() - start_time) * HAMMER_KOPS &&
                   !__atomic_load_n(&bench_done, __ATOMIC_ACQUIRE))
                ;
    }
    hammer[hart] = (struct hammer_result){.ops = ops, .ticks = clint_mtime() - start, .scratch = scratch};
    __atomic_fetch_add(&harts_finished, 1, __ATOMIC_ACQ_REL);
}

int guest_main(unsigned hartid)
{
    static const struct test tests[] = {
        {"seq_write", VIRTIO_BLK_T_OUT, false, SEQ_SECTORS, 4},
        {"seq_read", VIRTIO_BLK_T_IN, false, SEQ_SECTORS, 4},
        {"rand_read", VIRTIO_BLK_T_IN, true, RAND_SECTORS, 8},
        {"rand_write", VIRTIO_BLK_T_OUT, true, RAND_SECTORS, 8},
    };
    /* the harts there are: crt0 starts GUEST_MAX_HARTS, only -smp of them exist */
    if (hartid != 0) {
        hammer_loop(hartid);
        return 0;
    }
    CHECK_EQ(vblk_init(&blk, 0, VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC) | VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX),
                       true), 0);
    CHECK(blk.capacity >= 2 * SEQ_SECTORS);
    /* let the hammer harts get going (those that exist: give them 10 ms) */
    uint64_t settle = clint_mtime() + VIRT_TIMEBASE_HZ / 100;
    while (clint_mtime() < settle)
        ;
    uint32_t hammers = harts_started;
    printf("blk_bench virtio-mmio version %u, %lu sectors, %u hammer hart(s), %u ms per test, ", blk.dev.version,
           blk.capacity, hammers, BENCH_MS);
    if (HAMMER_KOPS)
        printf("hammer paced to %u kops/s per hart\n", HAMMER_KOPS);
    else
        printf("hammer flat out\n");
    for (unsigned i = 0; i < sizeof tests / sizeof tests[0]; i++)
        run_test(&tests[i]);
    __atomic_store_n(&bench_done, true, __ATOMIC_RELEASE);
    while (__atomic_load_n(&harts_finished, __ATOMIC_ACQUIRE) < __atomic_load_n(&harts_started, __ATOMIC_ACQUIRE))
        ;
    for (unsigned h = 1; h < GUEST_MAX_HARTS; h++)
        if (hammer[h].ticks)
            printf("blk_bench hammer hart=%u target=%s ops=%lu ticks=%lu\n", h,
                   hammer[h].scratch ? "scratch" : "uart", hammer[h].ops, hammer[h].ticks);
    CHECK_EQ(vblk_io(&blk, VIRTIO_BLK_T_FLUSH, 0, NULL, 0), VIRTIO_BLK_S_OK);
    vblk_shutdown(&blk);
    return 0;
}
