/* A tight integer loop: xorshift64 steps summed into an accumulator (shifts, xor, add, a
 * backward branch; about 8 instructions per iteration, no memory traffic). */
#include "bench.h"

const char bench_name[] = "loop";

void bench_setup(void) {}

uint64_t bench_kernel(uint64_t scale)
{
    uint64_t x = 0x9e3779b97f4a7c15ull, acc = 0;
    for (uint64_t i = 0; i < scale * 1000000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        acc += x;
    }
    return acc ^ x;
}
