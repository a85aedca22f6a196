/* Table-driven CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) over a 64 KiB buffer, once per
 * scale step, each pass continuing from the previous CRC: byte loads, a table lookup, shifts and
 * xors per byte. */
#include "bench.h"

const char bench_name[] = "crc32";

#define BUFFER_SIZE (64 * 1024)

static uint32_t table[256];
static uint8_t buffer[BUFFER_SIZE];

void bench_setup(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    uint32_t seed = 12345;
    for (uint32_t i = 0; i < BUFFER_SIZE; i++) {
        seed = seed * 1103515245u + 12345u;
        buffer[i] = (uint8_t)(seed >> 16);
    }
}

uint64_t bench_kernel(uint64_t scale)
{
    uint32_t crc = 0xffffffffu;
    for (uint64_t pass = 0; pass < scale; pass++)
        for (uint32_t i = 0; i < BUFFER_SIZE; i++)
            crc = table[(crc ^ buffer[i]) & 0xff] ^ (crc >> 8);
    return crc ^ 0xffffffffu;
}
