/* C extension: every RV64C integer form, written as explicit c.* mnemonics (so the assembler
 * must emit the 16-bit encoding), on the edges where expansion goes wrong: sign-extended
 * immediates (c.addi, c.li, c.lui, c.andi), c.addiw's 32-bit sign extension, 6-bit shift amounts,
 * scaled load/store offsets, 2-byte link addresses, and the all-zero parcel being illegal. */
#include "guest.h"

/* Most compressed forms only reach x8..x15, so operands go in fixed registers: a0 (x10) is the
 * destination/first source, a1 (x11) the second source. */
#define C_RR(op, a, b)                                                 \
    ({                                                                 \
        register uint64_t __d __asm__("a0") = (uint64_t)(a);           \
        register uint64_t __s __asm__("a1") = (uint64_t)(b);           \
        __asm__ volatile(op " a0, a1" : "+r"(__d) : "r"(__s));         \
        __d;                                                           \
    })
#define C_RI(op, a, imm)                                               \
    ({                                                                 \
        register uint64_t __d __asm__("a0") = (uint64_t)(a);           \
        __asm__ volatile(op " a0, %1" : "+r"(__d) : "i"(imm));         \
        __d;                                                           \
    })

#define SEXT32(v) ((uint64_t)(int64_t)(int32_t)(uint32_t)(v))

static void alu(void)
{
    CHECK_EQ(C_RI("c.li", 0, -32), -32ull);
    CHECK_EQ(C_RI("c.li", 0, 31), 31);
    CHECK_EQ(C_RI("c.addi", 10, -32), -22ull);
    CHECK_EQ(C_RI("c.addi", -1ull, 31), 30);
    CHECK_EQ(C_RI("c.addiw", 0x7fffffff, 1), SEXT32(0x80000000));
    CHECK_EQ(C_RI("c.addiw", 0x1234567880000000ull, 0), SEXT32(0x80000000)); /* sext.w */
    CHECK_EQ(C_RI("c.lui", 0, 1), 0x1000);
    CHECK_EQ(C_RI("c.lui", 0, 31), 0x1f000);
    CHECK_EQ(C_RI("c.lui", 0, 0xfffe0), 0xfffffffffffe0000ull); /* nzimm -32 << 12 */
    CHECK_EQ(C_RI("c.lui", 0, 0xfffff), 0xfffffffffffff000ull);
    CHECK_EQ(C_RI("c.slli", 1, 63), 0x8000000000000000ull);
    CHECK_EQ(C_RI("c.srli", 0x8000000000000000ull, 63), 1);
    CHECK_EQ(C_RI("c.srli", -1ull, 32), 0xffffffff);
    CHECK_EQ(C_RI("c.srai", 0x8000000000000000ull, 63), -1ull);
    CHECK_EQ(C_RI("c.srai", 0x8000000000000000ull, 32), 0xffffffff80000000ull);
    CHECK_EQ(C_RI("c.andi", 0xffff, -32), 0xffe0);
    CHECK_EQ(C_RI("c.andi", 0xffff, 31), 0x1f);

    CHECK_EQ(C_RR("c.mv", 0, 0x123456789ull), 0x123456789ull);
    CHECK_EQ(C_RR("c.add", -1ull, 2), 1);
    CHECK_EQ(C_RR("c.sub", 1, 2), -1ull);
    CHECK_EQ(C_RR("c.xor", 0xff00, 0x0ff0), 0xf0f0);
    CHECK_EQ(C_RR("c.or", 0xff00, 0x0ff0), 0xfff0);
    CHECK_EQ(C_RR("c.and", 0xff00, 0x0ff0), 0x0f00);
    CHECK_EQ(C_RR("c.addw", 0x7fffffff, 1), SEXT32(0x80000000));
    CHECK_EQ(C_RR("c.addw", 0xffffffff00000001ull, 0x00000001ffffffffull), 0);
    CHECK_EQ(C_RR("c.subw", 0, 1), -1ull);
    CHECK_EQ(C_RR("c.subw", 0x80000000, 1), 0x7fffffff);

    uint64_t before, after;
    __asm__ volatile("mv %0, a0\n\tc.nop\n\tmv %1, a0" : "=r"(before), "=r"(after));
    CHECK_EQ(before, after);
}

static void stack_relative(void)
{
    uint64_t sp, spn, sp16;
    __asm__ volatile("mv %0, sp\n\t"
                     "c.addi4spn a0, sp, 1020\n\t" /* largest scaled offset (4 * 255) */
                     "mv %1, a0\n\t"
                     "c.addi16sp sp, -512\n\t"     /* most negative (16 * -32) */
                     "mv %2, sp\n\t"
                     "c.addi16sp sp, 496\n\t"      /* most positive (16 * 31) */
                     "c.addi16sp sp, 16"
                     : "=&r"(sp), "=&r"(spn), "=&r"(sp16)
                     :
                     : "a0", "memory");
    CHECK_EQ(spn, sp + 1020);
    CHECK_EQ(sp16, sp - 512);

    /* c.sdsp/c.swsp store, c.ldsp/c.lwsp load back (c.lwsp sign-extends) */
    uint64_t d, w;
    __asm__ volatile("addi sp, sp, -512\n\t"
                     "c.sdsp %2, 504(sp)\n\t" /* largest c.sdsp offset (8 * 63) */
                     "c.swsp %3, 252(sp)\n\t" /* largest c.swsp offset (4 * 63) */
                     "c.ldsp %0, 504(sp)\n\t"
                     "c.lwsp %1, 252(sp)\n\t"
                     "addi sp, sp, 512"
                     : "=&r"(d), "=&r"(w)
                     : "r"(0x0123456789abcdefull), "r"(0x80000001ull)
                     : "memory");
    CHECK_EQ(d, 0x0123456789abcdefull);
    CHECK_EQ(w, SEXT32(0x80000001));
}

static void loads_and_stores(void)
{
    static volatile uint64_t buf[32];
    register uintptr_t base __asm__("a1") = (uintptr_t)buf;
    register uint64_t v __asm__("a2") = 0xfedcba9880000002ull;
    register uint64_t rd __asm__("a3");
    register uint64_t rw __asm__("a4");
    __asm__ volatile("c.sd a2, 248(a1)\n\t" /* largest c.sd offset (8 * 31) */
                     "c.sw a2, 124(a1)\n\t" /* largest c.sw offset (4 * 31) */
                     "c.ld a3, 248(a1)\n\t"
                     "c.lw a4, 124(a1)"
                     : "=&r"(rd), "=&r"(rw)
                     : "r"(base), "r"(v)
                     : "memory");
    /* register variables are only pinned inside the asm: copy before any call clobbers them */
    uint64_t d = rd, w = rw;
    CHECK_EQ(d, 0xfedcba9880000002ull);
    CHECK_EQ(w, SEXT32(0x80000002)); /* c.lw sign-extends */
    CHECK_EQ(buf[31], 0xfedcba9880000002ull);
    CHECK_EQ(buf[15] >> 32, 0x80000002); /* byte 124 = high word of buf[15] */
}

static void control_transfer(void)
{
    /* c.j skips, c.beqz/c.bnez take or fall through on a0 */
    uint64_t path;
    __asm__ volatile("li %0, 0\n\t"
                     "c.j 1f\n\t"
                     "li %0, 99\n"
                     "1:\n\t"
                     "li a0, 0\n\t"
                     "c.beqz a0, 2f\n\t"
                     "li %0, 98\n"
                     "2:\n\t"
                     "c.bnez a0, 3f\n\t" /* not taken */
                     "addi %0, %0, 1\n"
                     "3:\n\t"
                     "li a0, 5\n\t"
                     "c.bnez a0, 4f\n\t"
                     "li %0, 97\n"
                     "4:\n\t"
                     "c.beqz a0, 5f\n\t" /* not taken */
                     "addi %0, %0, 2\n"
                     "5:"
                     : "=&r"(path)
                     :
                     : "a0");
    CHECK_EQ(path, 3);

    /* c.jalr links to the next 2-byte parcel; c.jr jumps without linking */
    uint64_t link, after;
    __asm__ volatile("la t0, 1f\n\t"
                     "c.jalr t0\n"
                     "2:\n\t"
                     "c.j 3f\n"
                     "1:\n\t"
                     "mv %0, ra\n\t"
                     "la %1, 2b\n\t"
                     "c.jr ra\n"
                     "3:"
                     : "=&r"(link), "=&r"(after)
                     :
                     : "t0", "ra");
    CHECK_EQ(link, after);
}

static void traps(void)
{
    /* c.ebreak: breakpoint at its own address; the handler resumes 2 bytes on */
    uint64_t at;
    struct trap_record r = TRAP_OF(__asm__ volatile("la %0, 1f\n1:\tc.ebreak" : "=&r"(at)));
    CHECK_EQ(r.cause, CAUSE_BREAKPOINT);
    CHECK_EQ(r.epc, at);

    /* the all-zero parcel is defined to be illegal */
    r = TRAP_OF(__asm__ volatile("la %0, 1f\n1:\t.hword 0" : "=&r"(at)));
    CHECK_EQ(r.cause, CAUSE_ILLEGAL_INSTRUCTION);
    CHECK_EQ(r.epc, at);
}

int guest_main(unsigned hartid)
{
    (void)hartid;
    alu();
    stack_relative();
    loads_and_stores();
    control_transfer();
    traps();
    return 0;
}
