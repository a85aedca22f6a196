/* Cross-modifying code: hart 1 rewrites functions that hart 0 keeps calling. RISC-V makes new
 * code visible to hart 0 only once hart 0 executes fence.i after it observed the rewrite (a flag
 * published with release/acquire), so that is what the checks rely on: the guest is a correct
 * program on QEMU and on hardware.
 *
 * Two functions in one page, f[0] and f[1] (different 64-byte lines), take turns: in round r, hart
 * 1 rewrites f[r % 2] to return r while hart 0 keeps calling f[(r + 1) % 2] (and checks it). Once
 * the flag says round r, hart 0 calls f[r % 2] until it returns r or a bound is reached (on locklab,
 * as on QEMU, a store to translated code invalidates it on every vCPU, so the new code shows up
 * without fence.i; how often is printed, not checked), then executes fence.i and checks.
 * Why hart 0 does not call the very function being rewritten during the write: QEMU 7.2 invalidates
 * a page's translations before the store lands (notdirty_write, then the write), so a vCPU
 * translating the function in between caches the old code, and QEMU's fence.i on RISC-V flushes
 * nothing: such a guest failed on QEMU about once in 30 rounds. locklab stores first and invalidates
 * after; tests/cpu/test_smc.cpp has a hart spinning on the function while another rewrites it.
 * A third hart stores data into the functions' page all along (must not disturb anything). */
#include "guest.h"

GUEST_HARTS(3);

#define ROUNDS 200
#define INSN_RET 0x00008067u
#define SLOT_WORDS 16 /* 64 bytes: one line per function */

static uint32_t insn_li_a0(int imm) { return ((uint32_t)imm << 20) | 0x513u; }

static uint32_t page[1024] __attribute__((aligned(4096)));
static volatile uint32_t ready;      /* hart 0 has published the first versions */
static volatile uint32_t published; /* round whose code hart 1 has written */
static volatile uint32_t consumed;  /* round hart 0 has checked */
static volatile uint32_t stop_noise;

typedef long (*fn_t)(void);
static long call(unsigned slot) { return ((fn_t)(void *)&page[slot * SLOT_WORDS])(); }

static uint32_t load_acquire(volatile uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static void store_release(volatile uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

static int executor(void)
{
    unsigned seen_without_fence = 0;
    for (uint32_t round = 1; round <= ROUNDS; round++) {
        const unsigned target = round % 2, live = (round + 1) % 2;
        while (load_acquire(&published) != round) {
            long v = call(live);
            if (v != (long)round - 1)
                CHECK_EQ(v, round - 1);
        }
        for (int spin = 0; spin < 10000; spin++) {
            long v = call(target); /* old or new code: both allowed before fence.i */
            if (v == (long)round) {
                seen_without_fence++;
                break;
            }
            if (v != (long)round - 2)
                CHECK_EQ(v, round - 2);
        }
        fence_i();
        CHECK_EQ(call(target), round);
        store_release(&consumed, round);
    }
    printf("xmc: new code seen before fence.i in %u of %u rounds\n", seen_without_fence, ROUNDS);
    stop_noise = 1;
    return 0;
}

static void modifier(void)
{
    while (!load_acquire(&ready)) {
    }
    for (uint32_t round = 1; round <= ROUNDS; round++) {
        *(volatile uint32_t *)&page[(round % 2) * SLOT_WORDS] = insn_li_a0((int)round);
        store_release(&published, round);
        while (load_acquire(&consumed) != round) {
        }
    }
}

static void noise(void)
{
    volatile uint64_t *data = (volatile uint64_t *)&page[512]; /* same page, 2 KiB past the code */
    while (!stop_noise)
        data[0]++;
}

int guest_main(unsigned hartid)
{
    if (hartid == 0) {
        page[0] = insn_li_a0(0);  /* f[0] returns round - 1 in round 1 */
        page[1] = INSN_RET;
        page[SLOT_WORDS] = insn_li_a0(-1); /* f[1]: the "round - 2" of round 1 */
        page[SLOT_WORDS + 1] = INSN_RET;
        fence_i();
        store_release(&ready, 1);
        return executor();
    }
    if (hartid == 1)
        modifier();
    else
        noise();
    for (;;)
        __asm__ volatile("wfi");
}
