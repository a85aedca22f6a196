/* RV64I base integer instructions, edge cases first: wrap-around, W-op sign extension, shift
 * amounts masked to 6 bits (5 for W ops), sign-extended immediates, load sign/zero extension,
 * signed vs unsigned compares and branches, jalr clearing bit 0, writes to x0. */
#include "guest.h"
#include "insn.h"

#define MIN64 0x8000000000000000ull
#define MAX64 0x7fffffffffffffffull
#define SEXT32(v) ((uint64_t)(int64_t)(int32_t)(uint32_t)(v))

static void arithmetic(void)
{
    CHECK_EQ(RR("add", MAX64, 1), MIN64);
    CHECK_EQ(RR("add", -1ull, 1), 0);
    CHECK_EQ(RR("sub", 0, 1), -1ull);
    CHECK_EQ(RR("sub", MIN64, 1), MAX64);
    CHECK_EQ(RI("addi", 5, -6), -1ull);
    CHECK_EQ(RI("addi", 0, 2047), 2047);
    CHECK_EQ(RI("addi", 0, -2048), -2048ull);

    /* W ops: 32-bit result, sign-extended to 64; high input bits ignored */
    CHECK_EQ(RR("addw", 0x7fffffff, 1), SEXT32(0x80000000));
    CHECK_EQ(RR("addw", 0xffffffff00000001ull, 0x0000000100000002ull), 3);
    CHECK_EQ(RR("addw", 0xffffffff, 1), 0);
    CHECK_EQ(RR("subw", 0, 1), -1ull);
    CHECK_EQ(RR("subw", 0x80000000, 1), 0x7fffffff);
    CHECK_EQ(RR("subw", 0x123456789abcdef0ull, 0), SEXT32(0x9abcdef0));
    CHECK_EQ(RI("addiw", 0x7fffffff, 1), SEXT32(0x80000000));
    CHECK_EQ(RI("addiw", 0x80000000, -1), 0x7fffffff);
    CHECK_EQ(RI("addiw", 0xdeadbeef00000000ull | 0x80000000, 0), SEXT32(0x80000000)); /* sext.w */
}

static void logic_and_compares(void)
{
    CHECK_EQ(RR("and", 0xff00ff00ff00ff00ull, 0x0ff00ff00ff00ff0ull), 0x0f000f000f000f00ull);
    CHECK_EQ(RR("or", 0xff00ff00ff00ff00ull, 0x0ff00ff00ff00ff0ull), 0xfff0fff0fff0fff0ull);
    CHECK_EQ(RR("xor", 0xff00ff00ff00ff00ull, 0x0ff00ff00ff00ff0ull), 0xf0f0f0f0f0f0f0f0ull);
    CHECK_EQ(RI("andi", 0x123456789abcdef0ull, -1), 0x123456789abcdef0ull); /* imm sign-extended */
    CHECK_EQ(RI("andi", 0x123456789abcdef0ull, 0x7ff), 0x6f0);
    CHECK_EQ(RI("ori", 0, -2048), 0xfffffffffffff800ull);
    CHECK_EQ(RI("xori", 0x00ff, -1), ~0x00ffull); /* not */

    CHECK_EQ(RR("slt", -1ull, 1), 1);
    CHECK_EQ(RR("sltu", -1ull, 1), 0);
    CHECK_EQ(RR("slt", MIN64, MAX64), 1);
    CHECK_EQ(RR("sltu", MIN64, MAX64), 0);
    CHECK_EQ(RR("slt", 5, 5), 0);
    CHECK_EQ(RI("slti", -5ull, -4), 1);
    CHECK_EQ(RI("sltiu", 5, -1), 1); /* -1 sign-extends to the largest unsigned value */
    CHECK_EQ(RI("sltiu", 0, 1), 1);  /* seqz */
    CHECK_EQ(RI("sltiu", 7, 1), 0);
    CHECK_EQ(RR("sltu", 0, 7), 1); /* snez */
}

static void shifts(void)
{
    CHECK_EQ(RR("sll", 1, 63), MIN64);
    CHECK_EQ(RR("sll", 1, 64), 1); /* amount masked to 6 bits */
    CHECK_EQ(RR("sll", 1, 65), 2);
    CHECK_EQ(RR("srl", MIN64, 63), 1);
    CHECK_EQ(RR("srl", MIN64, 64), MIN64);
    CHECK_EQ(RR("sra", MIN64, 63), -1ull);
    CHECK_EQ(RR("sra", MIN64, 0x7f), -1ull);
    CHECK_EQ(RR("sra", 0x4000000000000000ull, 62), 1);
    CHECK_EQ(RI("slli", 3, 63), MIN64);
    CHECK_EQ(RI("srli", -1ull, 63), 1);
    CHECK_EQ(RI("srai", MIN64, 63), -1ull);
    CHECK_EQ(RI("srai", 0x8000000000000010ull, 4), 0xf800000000000001ull);

    /* W shifts: 5-bit amount, operate on the low 32 bits, result sign-extended */
    CHECK_EQ(RR("sllw", 1, 31), SEXT32(0x80000000));
    CHECK_EQ(RR("sllw", 1, 32), 1);
    CHECK_EQ(RR("sllw", 0xffffffff00000003ull, 1), 6);
    CHECK_EQ(RR("srlw", 0x80000000, 0), SEXT32(0x80000000));
    CHECK_EQ(RR("srlw", 0xffffffff80000000ull, 31), 1);
    CHECK_EQ(RR("srlw", 0xffffffff80000000ull, 1), 0x40000000);
    CHECK_EQ(RR("srlw", 0x80000000, 32), SEXT32(0x80000000));
    CHECK_EQ(RR("sraw", 0x80000000, 31), -1ull);
    CHECK_EQ(RR("sraw", 0x00000000ffff0000ull, 8), SEXT32(0xffffff00));
    CHECK_EQ(RR("sraw", 0x7fffffff00000000ull, 4), 0);
    CHECK_EQ(RI("slliw", 1, 31), SEXT32(0x80000000));
    CHECK_EQ(RI("srliw", -1ull, 0), -1ull); /* shift by 0 still sign-extends bit 31 */
    CHECK_EQ(RI("srliw", -1ull, 1), 0x7fffffff);
    CHECK_EQ(RI("sraiw", 0x80000000, 31), -1ull);
    CHECK_EQ(RI("sraiw", 0x123456707fffffffull, 30), 1);
}

static void upper_immediates(void)
{
    CHECK_EQ(RU("lui", 0x80000), 0xffffffff80000000ull); /* sign-extended on RV64 */
    CHECK_EQ(RU("lui", 0x7ffff), 0x7ffff000);
    CHECK_EQ(RU("lui", 0), 0);
    uint64_t here, pc;
    __asm__ volatile("1: auipc %0, 0\n\tla %1, 1b" : "=r"(here), "=r"(pc));
    CHECK_EQ(here, pc);
    __asm__ volatile("1: auipc %0, 0xfffff\n\tla %1, 1b" : "=r"(here), "=r"(pc));
    CHECK_EQ(here, pc - 0x1000);
}

static void loads_and_stores(void)
{
    static volatile uint64_t word = 0x8070605040302010ull; /* little-endian bytes 10 20 ... 80 */
    static volatile uint64_t neg = 0xfedcba9880018081ull;
    CHECK_EQ(LOAD("lb", (uintptr_t)&neg), -127ull);
    CHECK_EQ(LOAD("lbu", (uintptr_t)&neg), 0x81);
    CHECK_EQ(LOAD("lh", (uintptr_t)&neg), SEXT32(0xffff8081));
    CHECK_EQ(LOAD("lhu", (uintptr_t)&neg), 0x8081);
    CHECK_EQ(LOAD("lw", (uintptr_t)&neg), SEXT32(0x80018081));
    CHECK_EQ(LOAD("lwu", (uintptr_t)&neg), 0x80018081);
    CHECK_EQ(LOAD("ld", (uintptr_t)&neg), 0xfedcba9880018081ull);
    CHECK_EQ(LOAD("lb", (uintptr_t)&word + 7), -128ull);
    CHECK_EQ(LOAD("lhu", (uintptr_t)&word + 6), 0x8070);
    CHECK_EQ(LOAD("lw", (uintptr_t)&word + 4), SEXT32(0x80706050));

    /* stores write exactly their width */
    word = 0;
    STORE("sb", (uintptr_t)&word + 1, 0x1ab);
    CHECK_EQ(word, 0xab00);
    STORE("sh", (uintptr_t)&word + 2, 0x12345678);
    CHECK_EQ(word, 0x5678ab00);
    STORE("sw", (uintptr_t)&word + 4, 0xdeadbeefcafef00dull);
    CHECK_EQ(word, 0xcafef00d5678ab00ull);
    STORE("sd", (uintptr_t)&word, 0x0123456789abcdefull);
    CHECK_EQ(word, 0x0123456789abcdefull);
}

/* Each branch is taken iff its condition holds: evaluate both outcomes for signed and unsigned
 * edge values. */
#define BRANCH(op, a, b)                                                   \
    ({                                                                     \
        uint64_t __taken;                                                  \
        __asm__ volatile("li %0, 1\n\t" op " %1, %2, 1f\n\tli %0, 0\n1:"   \
                         : "=&r"(__taken)                                  \
                         : "r"((uint64_t)(a)), "r"((uint64_t)(b)));        \
        __taken;                                                           \
    })

static void branches(void)
{
    CHECK_EQ(BRANCH("beq", 5, 5), 1);
    CHECK_EQ(BRANCH("beq", 5, 6), 0);
    CHECK_EQ(BRANCH("bne", 5, 6), 1);
    CHECK_EQ(BRANCH("bne", -1ull, -1ull), 0);
    CHECK_EQ(BRANCH("blt", -1ull, 1), 1);
    CHECK_EQ(BRANCH("blt", 1, -1ull), 0);
    CHECK_EQ(BRANCH("blt", 3, 3), 0);
    CHECK_EQ(BRANCH("bltu", -1ull, 1), 0);
    CHECK_EQ(BRANCH("bltu", 1, -1ull), 1);
    CHECK_EQ(BRANCH("bge", 3, 3), 1);
    CHECK_EQ(BRANCH("bge", MIN64, MAX64), 0);
    CHECK_EQ(BRANCH("bgeu", MIN64, MAX64), 1);
    CHECK_EQ(BRANCH("bgeu", 0, 1), 0);
}

static void jumps_and_x0(void)
{
    uint64_t link, target, after;
    /* jalr target = (rs1 + imm) & ~1: an odd address still lands on the instruction */
    __asm__ volatile("la %1, 1f\n\t"
                     "addi %1, %1, 1\n\t"
                     "jalr %0, 0(%1)\n\t"
                     "2: j 2b\n\t" /* not reached if bit 0 is cleared */
                     "1: la %2, 2b"
                     : "=&r"(link), "=&r"(target), "=&r"(after));
    CHECK_EQ(link, after);

    uint64_t jal_link, jal_after;
    __asm__ volatile("jal %0, 1f\n\t"
                     "2: nop\n\t"
                     "1: la %1, 2b"
                     : "=&r"(jal_link), "=&r"(jal_after));
    CHECK_EQ(jal_link, jal_after);

    uint64_t zero;
    __asm__ volatile("li t0, 123\n\t"
                     "add x0, t0, t0\n\t"
                     "addi x0, x0, 5\n\t"
                     "lui x0, 0x12345\n\t"
                     "mv %0, x0"
                     : "=r"(zero)
                     :
                     : "t0");
    CHECK_EQ(zero, 0);
}

int guest_main(unsigned hartid)
{
    (void)hartid;
    arithmetic();
    logic_and_compares();
    shifts();
    upper_immediates();
    loads_and_stores();
    branches();
    jumps_and_x0();
    return 0;
}
