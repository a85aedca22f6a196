/* Self-modifying code: after a store to instruction memory and fence.i, the hart must execute the
 * new instruction, whatever it cached. Covered: rewriting a function in a RAM buffer many times,
 * 16-bit (compressed) patches, a 32-bit instruction straddling a page boundary patched half by
 * half, patching code in the page that is executing the patch, and data stores into a page that
 * also holds the running loop (must not disturb it). */
#include "guest.h"

#define PAGE 4096
#define INSN_RET 0x00008067u    /* jalr zero, 0(ra) */
#define INSN_C_RET 0x8082u      /* c.jr ra */
#define INSN_C_NOP 0x0001u      /* c.nop */

/* addi a0, zero, imm (imm in -2048..2047) */
static uint32_t insn_li_a0(int imm) { return ((uint32_t)imm << 20) | 0x513u; }
/* c.li a0, imm (imm in -32..31) */
static uint16_t insn_c_li_a0(int imm)
{
    return (uint16_t)(0x4501u | (((unsigned)imm & 0x1f) << 2) | ((((unsigned)imm >> 5) & 1) << 12));
}

static uint8_t code[2 * PAGE] __attribute__((aligned(PAGE)));
typedef long (*fn_t)(void);

static void put32(unsigned offset, uint32_t insn)
{
    *(volatile uint16_t *)&code[offset] = (uint16_t)insn; /* 2-byte stores: offset may be odd x2 */
    *(volatile uint16_t *)&code[offset + 2] = (uint16_t)(insn >> 16);
}
static void put16(unsigned offset, uint16_t insn) { *(volatile uint16_t *)&code[offset] = insn; }
static long run(unsigned offset) { return ((fn_t)(void *)&code[offset])(); }

static void rewrite_many_times(void)
{
    put32(4, INSN_RET);
    for (int i = -1000; i <= 1000; i += 7) {
        put32(0, insn_li_a0(i));
        fence_i();
        if (run(0) != i)
            CHECK_EQ(run(0), i); /* report the first mismatch only */
    }
    CHECK_EQ(run(0), 1000 - (2000 % 7));
}

static void compressed_patches(void)
{
    put16(64, insn_c_li_a0(-32));
    put16(66, INSN_C_RET);
    fence_i();
    CHECK_EQ(run(64), -32);
    put16(64, insn_c_li_a0(31));
    fence_i();
    CHECK_EQ(run(64), 31);
    /* turn the 16-bit c.li into the first half of a 32-bit instruction and back */
    put32(64, insn_li_a0(1234));
    put16(68, INSN_C_RET);
    fence_i();
    CHECK_EQ(run(64), 1234);
    put16(64, insn_c_li_a0(5));
    put16(66, INSN_C_RET);
    fence_i();
    CHECK_EQ(run(64), 5);
}

static void straddling_page_boundary(void)
{
    /* c.nop at PAGE-4, then a 32-bit li whose halves sit on two pages, then ret */
    const unsigned at = PAGE - 2;
    put16(PAGE - 4, INSN_C_NOP);
    put32(at, insn_li_a0(77));
    put32(at + 4, INSN_RET);
    fence_i();
    CHECK_EQ(run(PAGE - 4), 77);
    /* both immediates share the low half (opcode, rd): rewriting the second page's half alone
     * changes the instruction */
    CHECK_EQ(insn_li_a0(77) & 0xffff, insn_li_a0(-99) & 0xffff);
    *(volatile uint16_t *)&code[PAGE] = (uint16_t)(insn_li_a0(-99) >> 16);
    fence_i();
    CHECK_EQ(run(PAGE - 4), -99);
    put32(at, insn_li_a0(88));
    fence_i();
    CHECK_EQ(run(PAGE - 4), 88);
}

/* Lives in .text next to patch_own_page(): patching it writes into the page that runs the patch. */
__attribute__((noipa, aligned(4))) static long patched_in_place(void)
{
    long v;
    __asm__ volatile(".option push\n\t.option norvc\n\t"
                     ".globl patch_site\npatch_site:\n\t"
                     "addi %0, zero, 1\n\t"
                     ".option pop"
                     : "=r"(v));
    return v;
}

static void patch_own_page(void)
{
    extern uint32_t patch_site[];
    uint32_t original = patch_site[0];
    uint32_t rd = original & (0x1fu << 7);
    CHECK_EQ(patched_in_place(), 1);
    for (int i = 2; i < 50; i++) {
        *(volatile uint32_t *)patch_site = ((uint32_t)i << 20) | rd | 0x13u;
        fence_i();
        if (patched_in_place() != i)
            CHECK_EQ(patched_in_place(), i);
    }
    *(volatile uint32_t *)patch_site = original;
    fence_i();
    CHECK_EQ(patched_in_place(), 1);
}

/* A loop in the code buffer storing into the same page: ordinary data stores near code must
 * leave the loop running correctly. The loop: a0 = count, a1 = store address.
 *   1: sd a0, 0(a1); addi a0, a0, -1; bnez a0, 1b; ret */
static void stores_into_code_page(void)
{
    const unsigned base = PAGE + 256;
    put32(base + 0, 0x00a5b023u);  /* sd a0, 0(a1) */
    put32(base + 4, 0xfff50513u);  /* addi a0, a0, -1 */
    put32(base + 8, 0xfe051ce3u);  /* bne a0, zero, -8 */
    put32(base + 12, INSN_RET);
    fence_i();
    volatile uint64_t *slot = (volatile uint64_t *)&code[base + 64];
    register long a0 __asm__("a0") = 5000;
    register volatile uint64_t *a1 __asm__("a1") = slot;
    __asm__ volatile("jalr ra, 0(%2)"
                     : "+r"(a0)
                     : "r"(a1), "r"(&code[base])
                     : "ra", "memory");
    long left = a0;
    CHECK_EQ(left, 0);
    CHECK_EQ(*slot, 1);
}

int guest_main(unsigned hartid)
{
    (void)hartid;
    rewrite_many_times();
    compressed_patches();
    straddling_page_boundary();
    patch_own_page();
    stores_into_code_page();
    return 0;
}
