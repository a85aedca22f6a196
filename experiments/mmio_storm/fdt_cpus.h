/* The number of harts the machine has: the cpu@N nodes under /cpus in the device tree that the boot
 * contract hands hart 0 in a1 (boot_fdt). */
#pragma once

/* 0 if the blob is not a device tree. */
unsigned fdt_cpu_count(const void *fdt);
