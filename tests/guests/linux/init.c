/* PID 1 for the Linux virtio-blk test: read /data.bin, print its CRC32, write /copy.bin, power off. */
typedef unsigned long size_t;
static long sys6(long n, long a, long b, long c, long d)
{
    register long a0 asm("a0") = a, a1 asm("a1") = b, a2 asm("a2") = c, a3 asm("a3") = d, a7 asm("a7") = n;
    asm volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a3), "r"(a7) : "memory");
    return a0;
}
#define AT_FDCWD -100
static void out(const char *s) { size_t n = 0; while (s[n]) n++; sys6(64, 1, (long)s, n, 0); }
static unsigned char buf[1 << 20];
static unsigned crc32(const unsigned char *p, size_t n)
{
    unsigned c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) { c ^= p[i]; for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1; }
    return ~c;
}
static void fail(const char *why) { out("LINUX-INIT-FAIL "); out(why); out("\n"); for (;;) sys6(142, 0xfee1dead, 672274793, 0x4321fedc, 0); }
void _start(void)
{
    out("LINUX-INIT-START\n");
    long fd = sys6(56, AT_FDCWD, (long)"/data.bin", 0, 0);
    if (fd < 0) fail("open /data.bin");
    size_t n = 0; long r;
    while ((r = sys6(63, fd, (long)(buf + n), sizeof buf - n, 0)) > 0) n += r;
    if (r < 0) fail("read");
    sys6(57, fd, 0, 0, 0);
    unsigned c = crc32(buf, n);
    char line[] = "LINUX-INIT crc32 00000000\n";
    for (int i = 0; i < 8; i++) line[17 + i] = "0123456789abcdef"[(c >> (28 - 4 * i)) & 15];
    out(line);
    fd = sys6(56, AT_FDCWD, (long)"/copy.bin", 0101 | 01000, 0644); /* O_WRONLY|O_CREAT|O_TRUNC */
    if (fd < 0) fail("create /copy.bin");
    for (size_t off = 0; off < n;) { r = sys6(64, fd, (long)(buf + off), n - off, 0); if (r <= 0) fail("write"); off += r; }
    if (sys6(82, fd, 0, 0, 0) < 0) fail("fsync");
    sys6(57, fd, 0, 0, 0);
    sys6(81, 0, 0, 0, 0); /* sync */
    out("LINUX-INIT-DONE\n");
    sys6(142, 0xfee1dead, 672274793, 0x4321fedc, 0); /* reboot(POWER_OFF) */
    fail("power off returned");
}
