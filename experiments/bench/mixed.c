/* A mixed workload: for each number, Collatz steps (branches, shifts, multiply), one of four
 * small functions chosen through a function pointer (indirect calls: gcd with remainders,
 * a bit-count loop, a byte reversal, a division chain), and an update of an open-addressing hash
 * table (multiplicative hash, loads, stores, probing). */
#include "bench.h"

const char bench_name[] = "mixed";

#define TABLE_SLOTS 4096 /* power of two */
#define NUMBERS_PER_STEP 2000

struct slot {
    uint64_t key, value;
};
static struct slot table[TABLE_SLOTS];

void bench_setup(void) {}

static uint64_t collatz_steps(uint64_t n)
{
    uint64_t steps = 0;
    while (n != 1) {
        n = (n & 1) ? 3 * n + 1 : n >> 1;
        steps++;
    }
    return steps;
}

static uint64_t gcd(uint64_t x)
{
    uint64_t a = x * 7 + 3, b = x + 1000;
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static uint64_t bit_count(uint64_t x)
{
    uint64_t n = 0;
    for (x *= 0x9e3779b97f4a7c15ull; x; x &= x - 1)
        n++;
    return n;
}

static uint64_t byte_reverse(uint64_t x)
{
    uint64_t r = 0;
    for (int i = 0; i < 8; i++, x >>= 8)
        r = (r << 8) | (x & 0xff);
    return r;
}

static uint64_t division_chain(uint64_t x)
{
    uint64_t v = x * 1000003 + 17;
    for (uint64_t d = 3; d < 40; d += 4)
        v = v / d + v % d * 1000;
    return v;
}

static uint64_t (*const helpers[4])(uint64_t) = {gcd, bit_count, byte_reverse, division_chain};

static void table_add(uint64_t key, uint64_t value)
{
    uint64_t i = (key * 0x9e3779b97f4a7c15ull) >> 52; /* 12 bits: TABLE_SLOTS */
    for (;; i = (i + 1) & (TABLE_SLOTS - 1)) {
        if (table[i].key == key) {
            table[i].value += value;
            return;
        }
        if (table[i].key == 0) {
            table[i].key = key;
            table[i].value = value;
            return;
        }
    }
}

uint64_t bench_kernel(uint64_t scale)
{
    for (uint64_t step = 0; step < scale; step++) {
        for (uint64_t n = 1; n <= NUMBERS_PER_STEP; n++) {
            uint64_t x = step * NUMBERS_PER_STEP + n;
            uint64_t steps = collatz_steps(x);
            uint64_t h = helpers[x & 3](x);
            table_add(1 + (steps ^ (h & 0x3f)) % 1500, h ^ steps);
        }
    }
    uint64_t checksum = 0;
    for (unsigned i = 0; i < TABLE_SLOTS; i++)
        checksum = (checksum ^ table[i].key) * 0x100000001b3ull + table[i].value;
    return checksum;
}
