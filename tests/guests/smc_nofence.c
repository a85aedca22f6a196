/* Self-modifying code WITHOUT fence.i on one hart: a store to code the hart has executed must be
 * seen by its next execution, as on x86 and on QEMU 7.2 (whose softmmu invalidates translations on
 * stores to code pages: TLB_NOTDIRTY, and ends the running block after a store that rewrites it).
 * RISC-V itself only promises this after fence.i (smc.c checks that); this guest pins the stronger
 * behaviour issue 6 asks for, on locklab's interpreter and JIT and on QEMU. Covered: rewriting a
 * function between calls, a loop that patches an earlier instruction of its own block each
 * iteration, and data stores next to code (in the same 64-byte line and in the next one) that must
 * leave the code alone. Not here: a store over a LATER instruction of the executing block. locklab
 * ends the block after such a store (tests/cpu/test_smc.cpp pins it), QEMU 7.2 does that only for
 * targets with TARGET_HAS_PRECISE_SMC (x86, s390x): on RISC-V it finishes the block with the old
 * instruction (checked: the guest failed there on QEMU). */
#include "guest.h"

#define INSN_RET 0x00008067u /* jalr zero, 0(ra) */
#define INSN_NOP 0x00000013u /* addi zero, zero, 0 */

/* addi a0, zero, imm (imm in -2048..2047) */
static uint32_t insn_li_a0(int imm) { return ((uint32_t)imm << 20) | 0x513u; }

static uint32_t code[1024] __attribute__((aligned(4096)));
typedef long (*fn_t)(void);

static long call(unsigned index) { return ((fn_t)(void *)&code[index])(); }
static void put(unsigned index, uint32_t insn) { *(volatile uint32_t *)&code[index] = insn; }

static void rewrite_between_calls(void)
{
    put(0, insn_li_a0(1));
    put(1, INSN_RET);
    fence_i(); /* the buffer starts as data: the first version is published the RISC-V way */
    CHECK_EQ(call(0), 1);
    for (int i = 2; i < 300; i++) {
        put(0, insn_li_a0(i)); /* no fence.i from here on */
        if (call(0) != i)
            CHECK_EQ(call(0), i);
    }
    CHECK_EQ(call(0), 299);
}

/* code[64..]: a loop that adds its own `addi a0, a0, imm`'s immediate, then patches that immediate
 * to imm + 1 (sw from a1 = the patched word's address, a2 = the encoding step), count times.
 *   64: addi a0, a0, 1        (patched)
 *   65: lw   t0, 0(a1)
 *   66: add  t0, t0, a2
 *   67: sw   t0, 0(a1)
 *   68: addi a3, a3, -1
 *   69: bnez a3, 64
 *   70: ret
 * Sum for count n: 1 + 2 + ... + n. */
static void loop_patching_itself(void)
{
    put(64, 0x00150513u); /* addi a0, a0, 1 */
    put(65, 0x0005a283u); /* lw t0, 0(a1) */
    put(66, 0x00c282b3u); /* add t0, t0, a2 */
    put(67, 0x0055a023u); /* sw t0, 0(a1) */
    put(68, 0xfff68693u); /* addi a3, a3, -1 */
    put(69, 0xfe0696e3u); /* bnez a3, -20 */
    put(70, INSN_RET);
    fence_i();
    register long a0 __asm__("a0") = 0;
    register volatile uint32_t *a1 __asm__("a1") = &code[64];
    register long a2 __asm__("a2") = 1L << 20; /* +1 in the I-immediate */
    register long a3 __asm__("a3") = 200;
    __asm__ volatile("jalr ra, 0(%4)"
                     : "+r"(a0), "+r"(a3)
                     : "r"(a1), "r"(a2), "r"(&code[64])
                     : "ra", "t0", "memory");
    long sum = a0;
    CHECK_EQ(sum, 200 * 201 / 2);
}

/* Data next to code: a counter in the same 64-byte line as the function and one in the next
 * line, updated between calls; the function keeps returning what it was last patched to. */
static void data_next_to_code(void)
{
    put(128, insn_li_a0(11));
    put(129, INSN_RET);
    fence_i();
    volatile uint32_t *same_line = &code[136];  /* code[128..143] is one 64-byte line */
    volatile uint32_t *next_line = &code[144];
    *same_line = 0;
    *next_line = 0;
    for (int i = 0; i < 1000; i++) {
        *same_line += 1;
        *next_line += 2;
        if (call(128) != 11)
            CHECK_EQ(call(128), 11);
    }
    CHECK_EQ(*same_line, 1000);
    CHECK_EQ(*next_line, 2000);
    put(128, insn_li_a0(12));
    CHECK_EQ(call(128), 12);
}

int guest_main(unsigned hartid)
{
    (void)hartid;
    rewrite_between_calls();
    loop_patching_itself();
    data_next_to_code();
    return 0;
}
