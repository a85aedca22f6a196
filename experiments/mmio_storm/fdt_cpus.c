/* Counting cpu@N nodes in a flattened device tree (devicetree specification, "Structure Block"):
 * a stream of big-endian 32-bit tokens; BEGIN_NODE is followed by the NUL-terminated node name
 * padded to 4 bytes, PROP by its length, name offset and value padded to 4 bytes. */
#include "fdt_cpus.h"

#include <stdint.h>

enum { FDT_MAGIC = 0xd00dfeed, FDT_BEGIN_NODE = 1, FDT_END_NODE = 2, FDT_PROP = 3, FDT_NOP = 4, FDT_END = 9 };

static uint32_t load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static int is_cpu_node(const char *name)
{
    return name[0] == 'c' && name[1] == 'p' && name[2] == 'u' && name[3] == '@';
}

unsigned fdt_cpu_count(const void *fdt)
{
    const uint8_t *blob = fdt;
    if (load_be32(blob) != FDT_MAGIC)
        return 0;
    const uint8_t *p = blob + load_be32(blob + 8); /* off_dt_struct */
    unsigned depth = 0, cpus = 0;
    int in_cpus = 0; /* depth of the /cpus node, 0 when outside it */
    for (;;) {
        uint32_t token = load_be32(p);
        p += 4;
        if (token == FDT_BEGIN_NODE) {
            const char *name = (const char *)p;
            unsigned len = 0;
            while (name[len])
                len++;
            p += (len + 4) & ~3u; /* the name, its NUL, padding */
            depth++;
            if (depth == 2 && len == 4 && name[0] == 'c' && name[1] == 'p' && name[2] == 'u' && name[3] == 's')
                in_cpus = 2;
            else if (in_cpus && depth == 3 && is_cpu_node(name))
                cpus++;
        } else if (token == FDT_END_NODE) {
            if (in_cpus && depth == 2)
                in_cpus = 0;
            depth--;
        } else if (token == FDT_PROP) {
            p += 8 + ((load_be32(p) + 3) & ~3u);
        } else if (token != FDT_NOP) {
            return cpus; /* FDT_END or a malformed blob */
        }
    }
}
