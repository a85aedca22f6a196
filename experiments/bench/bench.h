/* A compute kernel for experiments/bench.py. Each kernel source defines these three; bench_main.c
 * times bench_kernel() with rdtime (10 MHz) and prints
 *     bench <name> scale=<n> ticks=<t> checksum=0x<c>
 * The checksum folds every result the kernel computed, so the work cannot be skipped and the same
 * value on two emulators shows they executed the same instructions. BENCH_SCALE (a compiler
 * definition) is the kernel's repeat count; scale 0 runs everything but the kernel's work. */
#pragma once

#include <stdint.h>

extern const char bench_name[];
/* Untimed preparation (tables, input data). */
void bench_setup(void);
/* The timed work, repeated `scale` times; returns the checksum. */
uint64_t bench_kernel(uint64_t scale);
