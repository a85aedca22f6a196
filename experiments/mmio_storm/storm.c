/* MMIO storm workload: every hart does STORM_OPS MMIO round trips as fast as it can, timed in
 * batches of STORM_BATCH with rdtime (10 MHz), and hart 0 prints one line per hart once all are done.
 *
 * STORM_MODE (compile time):
 *   STORM_PRIVATE  hart h: store + load of DATA0 on the mmio-scratch in research slot h (its own)
 *   STORM_SHARED   every hart: store + load of DATA(h) on the mmio-scratch in research slot 0
 *   STORM_MTIME    every hart: store of its CLINT mtimecmp (far future, MTIE off) + load of mtime
 * The driver (run.py) plugs the devices with -device mmio-scratch,id=...,slot=N.
 *
 * Output, parsed by run.py (ticks are 100 ns; latencies are per round trip, from batch times):
 *   storm hart=H harts=N mode=M ops=OPS ticks=T p50_ns=A p99_ns=B
 *   storm span harts=N mode=M total_ops=OPS span_ticks=T
 * The guest fails if a device is not where it should be, a load does not return what the hart
 * stored, or a device's WRITE_COUNT does not match the stores made to it. */
#include "fdt_cpus.h"
#include "guest.h"

#define STORM_PRIVATE 0
#define STORM_SHARED 1
#define STORM_MTIME 2
#ifndef STORM_MODE
#error "STORM_MODE must be defined"
#endif
#ifndef STORM_OPS
#error "STORM_OPS must be defined (round trips per hart)"
#endif
#define STORM_BATCH 50
#define STORM_BATCHES (STORM_OPS / STORM_BATCH)
_Static_assert(STORM_OPS % STORM_BATCH == 0, "STORM_OPS must be a multiple of STORM_BATCH");

/* devices/mmio_scratch.h and devices/virt_memmap.h (research slots) */
#define RESEARCH_BASE 0x11000000ul
#define RESEARCH_STRIDE 0x1000ul
#define SCRATCH_MAGIC 0x53435254ul
#define SCRATCH_REG_MAGIC 0x00
#define SCRATCH_REG_WRITE_COUNT 0x20
#define SCRATCH_REG_DATA0 0x40
#define CLINT_MTIME_OFFSET 0xbff8ul

static const char *const mode_names[] = {"private", "shared", "mtime"};

GUEST_HARTS(GUEST_MAX_HARTS);

struct hart_result {
    uint64_t start, end; /* rdtime at the first and after the last round trip */
    uint32_t p50_ticks, p99_ticks; /* batch durations (ticks) at the percentiles */
    uint32_t mismatches;               /* loads that did not return the value stored */
};

/* [h]: written by hart h only; hart 0 reads them after the acquire load that sees harts_done. */
static struct hart_result results[GUEST_MAX_HARTS];
static uint32_t batch_ticks[GUEST_MAX_HARTS][STORM_BATCHES];
static volatile uint32_t harts_ready, harts_done; /* atomic add only */

static volatile uint64_t *scratch_reg(unsigned slot, unsigned offset)
{
    return (volatile uint64_t *)(RESEARCH_BASE + RESEARCH_STRIDE * slot + offset);
}

/* Shell sort (the batch list is a few thousand entries). */
static void sort_u32(uint32_t *v, unsigned n)
{
    for (unsigned gap = n / 2; gap > 0; gap /= 2)
        for (unsigned i = gap; i < n; i++) {
            uint32_t x = v[i];
            unsigned j = i;
            for (; j >= gap && v[j - gap] > x; j -= gap)
                v[j] = v[j - gap];
            v[j] = x;
        }
}

/* The register this hart stores to and loads from, and the one it stores to alone (mtime mode). */
static void target(unsigned hartid, volatile uint64_t **store_to, volatile uint64_t **load_from)
{
    switch (STORM_MODE) {
    case STORM_PRIVATE:
        *store_to = *load_from = scratch_reg(hartid, SCRATCH_REG_DATA0);
        break;
    case STORM_SHARED:
        *store_to = *load_from = scratch_reg(0, SCRATCH_REG_DATA0 + 8 * hartid);
        break;
    default:
        *store_to = clint_mtimecmp(hartid);
        *load_from = (volatile uint64_t *)(VIRT_CLINT_BASE + CLINT_MTIME_OFFSET);
        break;
    }
}

static void storm(unsigned hartid, struct hart_result *r)
{
    volatile uint64_t *store_to, *load_from;
    target(hartid, &store_to, &load_from);
    uint32_t mismatches = 0;
    uint64_t value = STORM_MODE == STORM_MTIME ? ~0ull : ((uint64_t)hartid << 56);
    r->start = rdtime();
    uint64_t t = r->start;
    for (unsigned b = 0; b < STORM_BATCHES; b++) {
        for (unsigned i = 0; i < STORM_BATCH; i++) {
            if (STORM_MODE != STORM_MTIME)
                value++;
            *store_to = value;
            uint64_t got = *load_from;
            if (STORM_MODE != STORM_MTIME && got != value)
                mismatches++;
        }
        uint64_t now = rdtime();
        batch_ticks[hartid][b] = (uint32_t)(now - t);
        t = now;
    }
    r->end = t;
    r->mismatches = mismatches;
    sort_u32(batch_ticks[hartid], STORM_BATCHES);
    r->p50_ticks = batch_ticks[hartid][STORM_BATCHES / 2];
    r->p99_ticks = batch_ticks[hartid][STORM_BATCHES - 1 - STORM_BATCHES / 100];
}

/* ns per round trip from a batch duration in 100 ns ticks */
static uint64_t batch_ns_per_op(uint32_t ticks)
{
    return (uint64_t)ticks * (1000000000ul / VIRT_TIMEBASE_HZ) / STORM_BATCH;
}

static void check_devices(unsigned harts)
{
    if (STORM_MODE == STORM_PRIVATE) {
        for (unsigned h = 0; h < harts; h++)
            CHECK_EQ(*scratch_reg(h, SCRATCH_REG_WRITE_COUNT), STORM_OPS);
    } else if (STORM_MODE == STORM_SHARED) {
        CHECK_EQ(*scratch_reg(0, SCRATCH_REG_WRITE_COUNT), (uint64_t)STORM_OPS * harts);
    }
    for (unsigned h = 0; h < harts; h++)
        CHECK_EQ(results[h].mismatches, 0);
}

int guest_main(unsigned hartid)
{
    unsigned harts = fdt_cpu_count(boot_fdt);
    if (harts == 0 || harts > GUEST_MAX_HARTS) {
        if (hartid == 0)
            printf("storm: cannot use %u harts from the device tree (1..%u)\n", harts, GUEST_MAX_HARTS);
        return hartid == 0 ? 3 : 0;
    }
    if (hartid >= harts)
        return 0;
    if (STORM_MODE == STORM_PRIVATE)
        CHECK_EQ(*scratch_reg(hartid, SCRATCH_REG_MAGIC), SCRATCH_MAGIC);
    else if (STORM_MODE == STORM_SHARED)
        CHECK_EQ(*scratch_reg(0, SCRATCH_REG_MAGIC), SCRATCH_MAGIC);

    __atomic_add_fetch(&harts_ready, 1, __ATOMIC_ACQ_REL);
    while (__atomic_load_n(&harts_ready, __ATOMIC_ACQUIRE) < harts)
        ;
    storm(hartid, &results[hartid]);
    __atomic_add_fetch(&harts_done, 1, __ATOMIC_RELEASE);
    if (hartid != 0)
        return 0;

    while (__atomic_load_n(&harts_done, __ATOMIC_ACQUIRE) < harts)
        ;
    check_devices(harts);
    uint64_t first = results[0].start, last = results[0].end;
    for (unsigned h = 0; h < harts; h++) {
        const struct hart_result *r = &results[h];
        first = r->start < first ? r->start : first;
        last = r->end > last ? r->end : last;
        printf("storm hart=%u harts=%u mode=%s ops=%u ticks=%lu p50_ns=%lu p99_ns=%lu\n", h, harts,
               mode_names[STORM_MODE], STORM_OPS, r->end - r->start, batch_ns_per_op(r->p50_ticks),
               batch_ns_per_op(r->p99_ticks));
    }
    printf("storm span harts=%u mode=%s total_ops=%lu span_ticks=%lu\n", harts, mode_names[STORM_MODE],
           (uint64_t)STORM_OPS * harts, last - first);
    return 0;
}
