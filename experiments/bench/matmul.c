/* Integer matrix multiply: C = A x B for 64 x 64 int32 matrices, once per scale step, with A
 * perturbed by the previous result so no step repeats another. Multiply-accumulate in an inner
 * loop with strided loads. */
#include "bench.h"

const char bench_name[] = "matmul";

#define N 64

static int32_t a[N][N], b[N][N], c[N][N];

void bench_setup(void)
{
    uint32_t seed = 7;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            seed = seed * 1103515245u + 12345u;
            a[i][j] = (int32_t)(seed >> 20) - 2048;
            seed = seed * 1103515245u + 12345u;
            b[i][j] = (int32_t)(seed >> 20) - 2048;
        }
}

uint64_t bench_kernel(uint64_t scale)
{
    uint64_t checksum = 0;
    for (uint64_t step = 0; step < scale; step++) {
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                int32_t sum = 0;
                for (int k = 0; k < N; k++)
                    sum += a[i][k] * b[k][j];
                c[i][j] = sum;
            }
        uint64_t fold = 0;
        for (int i = 0; i < N; i++)
            fold = fold * 31 + (uint32_t)c[i][(i + step) % N];
        checksum ^= fold + step;
        a[step % N][(step / N) % N] ^= (int32_t)(fold & 0x3ff);
    }
    return checksum;
}
