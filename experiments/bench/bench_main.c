/* Entry of every benchmark guest: set up, time the kernel, print one result line (bench.h). */
#include "bench.h"
#include "guest.h"

#ifndef BENCH_SCALE
#error "BENCH_SCALE must be defined (the kernel's repeat count)"
#endif

int guest_main(unsigned hartid)
{
    (void)hartid;
    bench_setup();
    uint64_t start = rdtime();
    uint64_t checksum = bench_kernel(BENCH_SCALE);
    uint64_t ticks = rdtime() - start;
    printf("bench %s scale=%lu ticks=%lu checksum=0x%016lx\n", bench_name, (uint64_t)BENCH_SCALE,
           ticks, checksum);
    return 0;
}
