/* Sorting: fill 32 Ki 32-bit keys from a linear congruential generator and quicksort them
 * (median of three, insertion sort below 16), once per scale step. Compare-and-branch heavy with
 * data-dependent branches and a recursion; the checksum folds a weighted sum of each sorted run. */
#include "bench.h"

const char bench_name[] = "sort";

#define KEYS (32 * 1024)

static uint32_t keys[KEYS];

void bench_setup(void) {}

static void insertion_sort(uint32_t *a, long n)
{
    for (long i = 1; i < n; i++) {
        uint32_t v = a[i];
        long j = i - 1;
        while (j >= 0 && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static void swap(uint32_t *a, uint32_t *b)
{
    uint32_t t = *a;
    *a = *b;
    *b = t;
}

static void quicksort(uint32_t *a, long n)
{
    while (n > 16) {
        long mid = n / 2;
        if (a[mid] < a[0])
            swap(&a[mid], &a[0]);
        if (a[n - 1] < a[0])
            swap(&a[n - 1], &a[0]);
        if (a[n - 1] < a[mid])
            swap(&a[n - 1], &a[mid]);
        uint32_t pivot = a[mid];
        long i = 0, j = n - 1;
        for (;;) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i >= j)
                break;
            swap(&a[i], &a[j]);
            i++;
            j--;
        }
        /* recurse into the smaller part, loop on the larger: the depth stays logarithmic */
        if (j + 1 < n - j - 1) {
            quicksort(a, j + 1);
            a += j + 1;
            n -= j + 1;
        } else {
            quicksort(a + j + 1, n - j - 1);
            n = j + 1;
        }
    }
    insertion_sort(a, n);
}

uint64_t bench_kernel(uint64_t scale)
{
    uint64_t checksum = 0;
    uint32_t seed = 2463534242u;
    for (uint64_t round = 0; round < scale; round++) {
        for (long i = 0; i < KEYS; i++) {
            seed = seed * 1664525u + 1013904223u;
            keys[i] = seed;
        }
        quicksort(keys, KEYS);
        uint64_t sum = 0;
        for (long i = 0; i < KEYS; i++)
            sum += (uint64_t)keys[i] * (uint64_t)(i + 1);
        checksum = (checksum << 7 | checksum >> 57) ^ sum;
    }
    return checksum;
}
