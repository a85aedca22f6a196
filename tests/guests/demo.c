/* The README demo: the Mandelbrot set in ASCII, computed by every hart of the machine in parallel.
 *
 * Each hart finds the number of harts in the device tree the boot contract hands it in a1
 * (the cpu@N nodes under /cpus), computes rows hartid, hartid + N, hartid + 2N, ... in 64-bit
 * fixed point (no floating point in RV64IMAC), and counts them. When all are done, hart 0 prints
 * the picture, each row tagged with the hart that computed it, and the per-hart row counts. The
 * output depends only on -smp, not on timing. */
#include "guest.h"

GUEST_HARTS(GUEST_MAX_HARTS);

#define COLS 72
#define ROWS 30
#define MAX_ITER 96
#define FRAC 24 /* fixed point: value * 2^24 */
#define FIX(num, den) ((int64_t)(num) * (1 << FRAC) / (den))

/* by escape time: shades[bit length of the iteration count, minus one]; points in the set
 * are '@' */
static const char shades[] = " .:-=+*#";

/* Row r (and row_owner[r]) is written by the hart that renders it only; hart 0 reads everything
 * after the acquire load that sees harts_done reach the hart count. */
static char picture[ROWS][COLS + 1];
static uint8_t row_owner[ROWS];
static volatile uint32_t rows_done_by[GUEST_MAX_HARTS]; /* [h]: hart h only */
static volatile uint32_t harts_done;                    /* release add by each hart */

/* ---- the device tree: count /cpus/cpu@N ---- */
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4
#define FDT_END 9

static uint32_t be32(const void *p)
{
    const uint8_t *b = p;
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

static bool starts_with(const char *s, const char *prefix)
{
    while (*prefix)
        if (*s++ != *prefix++)
            return false;
    return true;
}

static unsigned fdt_count_cpus(const uint8_t *fdt)
{
    if (be32(fdt) != 0xd00dfeed)
        return 0;
    const uint8_t *p = fdt + be32(fdt + 8); /* off_dt_struct */
    int depth = 0;
    bool in_cpus = false;
    unsigned cpus = 0;
    for (;;) {
        uint32_t token = be32(p);
        p += 4;
        if (token == FDT_BEGIN_NODE) {
            const char *name = (const char *)p;
            unsigned len = 0;
            while (name[len])
                len++;
            p += (len + 1 + 3) & ~3u;
            depth++;
            if (depth == 2 && starts_with(name, "cpus") && name[4] == '\0')
                in_cpus = true;
            else if (depth == 3 && in_cpus && starts_with(name, "cpu@"))
                cpus++;
        } else if (token == FDT_END_NODE) {
            if (depth == 2)
                in_cpus = false;
            depth--;
        } else if (token == FDT_PROP) {
            p += 8 + ((be32(p) + 3) & ~3u); /* len, nameoff, value */
        } else if (token == FDT_NOP) {
            continue;
        } else {
            return cpus; /* FDT_END or anything unexpected */
        }
    }
}

/* ---- the picture ---- */
static char shade(int64_t cr, int64_t ci)
{
    int64_t zr = 0, zi = 0;
    for (int i = 0; i < MAX_ITER; i++) {
        int64_t zr2 = (zr * zr) >> FRAC, zi2 = (zi * zi) >> FRAC;
        if (zr2 + zi2 > FIX(4, 1)) {
            unsigned bits = 0;
            for (unsigned v = (unsigned)i >> 1; v; v >>= 1)
                bits++;
            return shades[bits < sizeof shades - 1 ? bits : sizeof shades - 2];
        }
        zi = ((zr * zi) >> (FRAC - 1)) + ci;
        zr = zr2 - zi2 + cr;
    }
    return '@';
}

static void render_row(unsigned row)
{
    /* x from -2.2 to 0.8, y from -1.2 to 1.2 */
    int64_t ci = FIX(-12, 10) + (FIX(24, 10) * row) / (ROWS - 1);
    for (unsigned col = 0; col < COLS; col++) {
        int64_t cr = FIX(-22, 10) + (FIX(30, 10) * col) / (COLS - 1);
        picture[row][col] = shade(cr, ci);
    }
    picture[row][COLS] = '\0';
}

int guest_main(unsigned hartid)
{
    unsigned harts = fdt_count_cpus(boot_fdt);
    if (harts == 0 || harts > GUEST_MAX_HARTS) {
        if (hartid == 0)
            printf("demo: cannot use %u harts from the device tree\n", harts);
        return 3;
    }
    if (hartid >= harts)
        return 0;

    for (unsigned row = hartid; row < ROWS; row += harts) {
        render_row(row);
        row_owner[row] = (uint8_t)hartid;
        rows_done_by[hartid]++;
    }
    __atomic_add_fetch(&harts_done, 1, __ATOMIC_RELEASE);
    if (hartid != 0)
        return 0;

    while (__atomic_load_n(&harts_done, __ATOMIC_ACQUIRE) < harts)
        ;
    printf("Mandelbrot set, rows rendered in parallel by %u harts (row r by hart r %% %u):\n\n",
           harts, harts);
    for (unsigned row = 0; row < ROWS; row++)
        printf("  hart %u | %s\n", row_owner[row], picture[row]);
    printf("\n");
    for (unsigned h = 0; h < harts; h++)
        printf("hart %u rendered %u rows\n", h, rows_done_by[h]);
    return 0;
}
