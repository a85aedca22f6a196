/* A extension on one hart: every AMO's returned old value and stored result (.w forms sign-extend
 * the old word and leave the neighbouring word alone; signed vs unsigned min/max), the aq/rl
 * encodings, and LR/SC success and failure paths. Cross-hart behaviour is in smp.c. */
#include "guest.h"
#include "insn.h"

#define SEXT32(v) ((uint64_t)(int64_t)(int32_t)(uint32_t)(v))

static volatile uint64_t cell[2];
static volatile uint64_t far_cell[512] __attribute__((aligned(4096))); /* another page */

/* Runs the AMO on a fresh cell holding `init`; checks the returned old value and the memory. */
#define AMO_CASE(op, init, operand, want_old, want_mem)      \
    do {                                                     \
        cell[0] = (init);                                    \
        cell[1] = 0x5a5a5a5a5a5a5a5aull;                     \
        CHECK_EQ(AMO(op, &cell[0], operand), want_old);      \
        CHECK_EQ(cell[0], want_mem);                         \
        CHECK_EQ(cell[1], 0x5a5a5a5a5a5a5a5aull);            \
    } while (0)

static void amo_doubleword(void)
{
    AMO_CASE("amoswap.d", 0x1111, 0x2222, 0x1111, 0x2222);
    AMO_CASE("amoadd.d", -1ull, 2, -1ull, 1);
    AMO_CASE("amoand.d", 0xff00ff00ff00ff00ull, 0x0ff00ff00ff00ff0ull, 0xff00ff00ff00ff00ull,
             0x0f000f000f000f00ull);
    AMO_CASE("amoor.d", 0xf0, 0x0f, 0xf0, 0xff);
    AMO_CASE("amoxor.d", 0xff, 0x0f, 0xff, 0xf0);
    AMO_CASE("amomin.d", -5ull, 3, -5ull, -5ull);
    AMO_CASE("amomax.d", -5ull, 3, -5ull, 3);
    AMO_CASE("amominu.d", -5ull, 3, -5ull, 3);
    AMO_CASE("amomaxu.d", -5ull, 3, -5ull, -5ull);
}

static void amo_word(void)
{
    /* the high word of the 64-bit cell is outside a .w access and must survive */
    AMO_CASE("amoswap.w", 0xaaaaaaaa80000000ull, 0x1234, SEXT32(0x80000000), 0xaaaaaaaa00001234ull);
    AMO_CASE("amoadd.w", 0xaaaaaaaaffffffffull, 1, -1ull, 0xaaaaaaaa00000000ull); /* wraps in 32 bits */
    AMO_CASE("amoadd.w", 0x7fffffff, 1, 0x7fffffff, 0x80000000);
    AMO_CASE("amoand.w", 0xaaaaaaaaf0f0f0f0ull, 0xffffffff0000ffffull, SEXT32(0xf0f0f0f0),
             0xaaaaaaaa0000f0f0ull);
    AMO_CASE("amoor.w", 0x0000000100000001ull, 0x80000000, 1, 0x0000000180000001ull);
    AMO_CASE("amoxor.w", 0xffffffff, 0x0000ffff, -1ull, 0xffff0000);
    /* signed compares see bit 31 as the sign; unsigned ones do not */
    AMO_CASE("amomin.w", 0x80000000, 1, SEXT32(0x80000000), 0x80000000);
    AMO_CASE("amomax.w", 0x80000000, 1, SEXT32(0x80000000), 1);
    AMO_CASE("amominu.w", 0x80000000, 1, SEXT32(0x80000000), 1);
    AMO_CASE("amomaxu.w", 0x80000000, 1, SEXT32(0x80000000), 0x80000000);
    /* only the low 32 bits of rs2 take part */
    AMO_CASE("amomin.w", 5, 0x00000001fffffffeull, 5, 0xfffffffe);
}

static void amo_ordering_forms(void)
{
    /* aq, rl and aqrl are separate encodings with the same result on one hart */
    AMO_CASE("amoadd.w.aq", 1, 2, 1, 3);
    AMO_CASE("amoadd.w.rl", 1, 2, 1, 3);
    AMO_CASE("amoadd.w.aqrl", 1, 2, 1, 3);
    AMO_CASE("amoswap.d.aq", 7, 8, 7, 8);
    AMO_CASE("amoswap.d.rl", 7, 8, 7, 8);
    AMO_CASE("amoswap.d.aqrl", 7, 8, 7, 8);
    AMO_CASE("amomaxu.d.aqrl", 1, -1ull, 1, -1ull);
}

#define LR(op, addr) LOAD(op, addr)
/* rd of sc: 0 on success, nonzero on failure */
#define SC(op, addr, value) AMO(op, addr, value)

static void lr_sc(void)
{
    /* success: rd = 0 and memory written; lr.w sign-extends */
    cell[0] = 0x00000000fffffff0ull;
    CHECK_EQ(LR("lr.w", &cell[0]), -16ull);
    CHECK_EQ(SC("sc.w", &cell[0], 0x1234), 0);
    CHECK_EQ(cell[0], 0x1234);

    cell[0] = 0x8000000000000001ull;
    CHECK_EQ(LR("lr.d.aq", &cell[0]), 0x8000000000000001ull);
    CHECK_EQ(SC("sc.d.rl", &cell[0], 0xabcdef), 0);
    CHECK_EQ(cell[0], 0xabcdef);

    /* sc.w writes only its word */
    cell[0] = 0xaaaaaaaabbbbbbbbull;
    (void)LR("lr.w.aqrl", &cell[0]);
    CHECK_EQ(SC("sc.w.aqrl", &cell[0], 0xffffffff00000005ull), 0);
    CHECK_EQ(cell[0], 0xaaaaaaaa00000005ull);

    /* every SC ends the reservation: a second SC fails and does not write */
    cell[0] = 1;
    (void)LR("lr.d", &cell[0]);
    CHECK_EQ(SC("sc.d", &cell[0], 2), 0);
    CHECK(SC("sc.d", &cell[0], 3) != 0);
    CHECK_EQ(cell[0], 2);

    /* SC with no reservation at all fails and does not write */
    cell[1] = 9;
    CHECK(SC("sc.d", &cell[1], 10) != 0);
    CHECK_EQ(cell[1], 9);

    /* SC to another address than the LR's (a different page) fails. The spec lets a reservation
     * set be larger than the word; QEMU's (and locklab's) is exactly the LR's address. */
    far_cell[0] = 4;
    cell[0] = 5;
    (void)LR("lr.d", &cell[0]);
    CHECK(SC("sc.d", &far_cell[0], 6) != 0);
    CHECK_EQ(far_cell[0], 4);
    CHECK_EQ(cell[0], 5);

    /* a store by the same hart between LR and SC: the spec allows SC to succeed or fail, but its
     * rd must tell the truth about memory */
    cell[0] = 20;
    (void)LR("lr.d", &cell[0]);
    cell[0] = 21;
    uint64_t failed = SC("sc.d", &cell[0], 22);
    CHECK_EQ(cell[0], failed ? 21 : 22);
}

int guest_main(unsigned hartid)
{
    (void)hartid;
    amo_doubleword();
    amo_word();
    amo_ordering_forms();
    lr_sc();
    return 0;
}
