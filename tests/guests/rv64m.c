/* M extension: the high halves of products (signed, unsigned, mixed), W forms' sign extension,
 * division rounding toward zero, and the two cases that must not trap: division by zero
 * (quotient all ones, remainder = dividend) and signed overflow (MIN / -1 = MIN, remainder 0). */
#include "guest.h"
#include "insn.h"

#define MIN64 0x8000000000000000ull
#define MAX64 0x7fffffffffffffffull
#define MIN32 0xffffffff80000000ull /* INT32_MIN sign-extended */
#define SEXT32(v) ((uint64_t)(int64_t)(int32_t)(uint32_t)(v))
#define NEG(v) ((uint64_t) - (int64_t)(v))

static void multiply(void)
{
    CHECK_EQ(RR("mul", 0x0123456789abcdefull, 0x10), 0x123456789abcdef0ull);
    CHECK_EQ(RR("mul", -1ull, -1ull), 1);
    CHECK_EQ(RR("mul", MIN64, -1ull), MIN64);

    CHECK_EQ(RR("mulh", -1ull, -1ull), 0);
    CHECK_EQ(RR("mulh", MIN64, MIN64), 0x4000000000000000ull);
    CHECK_EQ(RR("mulh", MIN64, 1), -1ull);
    CHECK_EQ(RR("mulh", MAX64, MAX64), 0x3fffffffffffffffull);
    CHECK_EQ(RR("mulh", 0x100000000ull, 0x100000000ull), 1);

    CHECK_EQ(RR("mulhu", -1ull, -1ull), 0xfffffffffffffffeull);
    CHECK_EQ(RR("mulhu", MIN64, 2), 1);
    CHECK_EQ(RR("mulhu", MIN64, MIN64), 0x4000000000000000ull);

    /* mulhsu: rs1 signed, rs2 unsigned */
    CHECK_EQ(RR("mulhsu", -1ull, -1ull), -1ull); /* -1 * (2^64 - 1) */
    CHECK_EQ(RR("mulhsu", 2, -1ull), 1);
    CHECK_EQ(RR("mulhsu", MIN64, -1ull), 0x8000000000000000ull);
    CHECK_EQ(RR("mulhsu", -2ull, 1), -1ull);

    /* mulw: low 32 bits of the product, sign-extended; high input bits ignored */
    CHECK_EQ(RR("mulw", 0x10000, 0x8000), MIN32);
    CHECK_EQ(RR("mulw", 0xffffffff00000003ull, 0x1234567800000005ull), 15);
    CHECK_EQ(RR("mulw", 0x7fffffff, 2), SEXT32(0xfffffffe));
}

static void divide(void)
{
    CHECK_EQ(RR("div", NEG(7), 2), NEG(3)); /* rounds toward zero */
    CHECK_EQ(RR("rem", NEG(7), 2), NEG(1)); /* remainder has the dividend's sign */
    CHECK_EQ(RR("rem", 7, NEG(2)), 1);
    CHECK_EQ(RR("divu", -1ull, 2), MAX64);
    CHECK_EQ(RR("remu", -1ull, 10), 5);

    /* division by zero: no trap */
    CHECK_EQ(RR("div", 1234, 0), -1ull);
    CHECK_EQ(RR("div", NEG(1234), 0), -1ull);
    CHECK_EQ(RR("divu", 1234, 0), -1ull);
    CHECK_EQ(RR("rem", NEG(1234), 0), NEG(1234));
    CHECK_EQ(RR("remu", 1234, 0), 1234);
    CHECK_EQ(RR("divw", 1234, 0), -1ull);
    CHECK_EQ(RR("divuw", 1234, 0), -1ull); /* 0xffffffff sign-extended */
    CHECK_EQ(RR("remw", 0x1234567880000001ull, 0), SEXT32(0x80000001));
    CHECK_EQ(RR("remuw", 0x12345678fffffff0ull, 0xffffffff00000000ull), SEXT32(0xfffffff0));

    /* signed overflow: no trap */
    CHECK_EQ(RR("div", MIN64, -1ull), MIN64);
    CHECK_EQ(RR("rem", MIN64, -1ull), 0);
    CHECK_EQ(RR("divw", 0x80000000, -1ull), MIN32);
    CHECK_EQ(RR("remw", 0x80000000, -1ull), 0);
    CHECK_EQ(RR("divw", 0x0000000180000000ull, 0xffffffff), MIN32); /* operands are the low words */

    /* W forms read only the low 32 bits and sign-extend the 32-bit result */
    CHECK_EQ(RR("divw", 0xffffffff00000010ull, 0x1234567800000002ull), 8);
    CHECK_EQ(RR("divw", NEG(9), 2), NEG(4));
    CHECK_EQ(RR("divuw", 0xfffffff0, 1), SEXT32(0xfffffff0));
    CHECK_EQ(RR("divuw", 0xfffffff0, 2), 0x7ffffff8);
    CHECK_EQ(RR("remw", NEG(9), 2), NEG(1));
    CHECK_EQ(RR("remuw", 0xffffffff, 0x10), 0xf);
}

int guest_main(unsigned hartid)
{
    (void)hartid;
    multiply();
    divide();
    return 0;
}
