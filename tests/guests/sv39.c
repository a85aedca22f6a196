/* Sv39 with page tables the guest builds itself.
 *
 * Map (VA -> PA):
 *   0x0000_0000 1 GiB gigapage -> 0x0 (MMIO: UART, CLINT, finisher), RW
 *   0x4000_0000 4 KiB test pages (l0_test): one permission case per page, see enum test_page
 *   0x4020_0000 2 MiB megapage alias -> 0x8000_0000, RW
 *   0x4040_0000 2 MiB megapage whose PPN is not 2 MiB aligned (must fault)
 *   0x8000_0000 identity: first 2 MiB as 4 KiB pages (the .user pages get PTE.U), rest 2 MiB pages
 *   0xc000_0000 1 GiB gigapage alias -> 0x8000_0000, read-only
 * Checked: translation through all three page sizes, page faults with the right cause and
 * stval (R/W/X/U permissions, invalid and reserved PTEs, misaligned superpages, non-canonical
 * addresses), SUM and MXR, A/D bits set by the MMU, sfence.vma after a PTE change, MPRV, U-mode
 * code on user pages, and page faults delegated to S. */
#include "guest.h"
#include "insn.h"

#define PAGE 4096ul
#define MEGA (2ul << 20)
#define GIGA (1ul << 30)
#define KERNEL_RWX (PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)

#define TEST_VA 0x40000000ul
#define MEGA_ALIAS_VA 0x40200000ul
#define BAD_MEGA_VA 0x40400000ul
#define GIGA_ALIAS_VA 0xc0000000ul
#define NONCANONICAL_VA 0x0000004000000000ul /* bit 38 set, bits 63..39 clear */

enum test_page {
    PG_RW,       /* R W, A D preset */
    PG_RO,       /* R */
    PG_XO,       /* X only: readable only with MXR */
    PG_USER,     /* R W U */
    PG_INVALID,  /* V = 0 */
    PG_FRESH,    /* R W with A = D = 0: the MMU sets them */
    PG_WO,       /* W without R: reserved encoding */
    PG_COUNT
};
#define VA_OF(page) (TEST_VA + (page) * PAGE)

static uint64_t root[512] __attribute__((aligned(PAGE)));
static uint64_t l1_ram[512] __attribute__((aligned(PAGE)));
static uint64_t l0_ram[512] __attribute__((aligned(PAGE)));
static uint64_t l1_test[512] __attribute__((aligned(PAGE)));
static uint64_t l0_test[512] __attribute__((aligned(PAGE)));
static uint64_t test_data[PG_COUNT][PAGE / 8] __attribute__((aligned(PAGE)));
static volatile uint64_t marker = 0x6d61726b65722121ull;

extern char __user_start[], __user_end[], __image_end[];

/* ---- U-mode code and data: only these pages carry PTE.U ---- */
#define USER __attribute__((section(".user.text"), noinline))
static uint8_t user_stack[2 * PAGE] __attribute__((section(".user.data"), aligned(16)));
#define USER_SP ((uint64_t)(user_stack + sizeof user_stack))

USER static long u_load(long va) { return (long)*(volatile uint64_t *)va; }
USER static long u_store(long va)
{
    *(volatile uint64_t *)va = 0x75736572; /* "user" */
    return 0;
}
USER static long u_fetch(long va)
{
    __asm__ volatile("jalr ra, 0(%0)" ::"r"(va) : "ra", "memory");
    return 0;
}

/* ---- page tables ---- */
static void build_page_tables(void)
{
    for (unsigned i = 0; i < 512; i++) {
        uint64_t pa = VIRT_DRAM_BASE + i * PAGE;
        uint64_t user = pa >= (uint64_t)__user_start && pa < (uint64_t)__user_end ? PTE_U : 0;
        l0_ram[i] = PTE_LEAF(pa, KERNEL_RWX | user);
        l1_ram[i] = i ? PTE_LEAF(VIRT_DRAM_BASE + i * MEGA, KERNEL_RWX) : PTE_TABLE(l0_ram);
    }
    root[0] = PTE_LEAF(0, PTE_R | PTE_W | PTE_A | PTE_D);
    root[1] = PTE_TABLE(l1_test);
    root[2] = PTE_TABLE(l1_ram);
    root[3] = PTE_LEAF(VIRT_DRAM_BASE, PTE_R | PTE_A);

    l1_test[0] = PTE_TABLE(l0_test);
    l1_test[1] = PTE_LEAF(VIRT_DRAM_BASE, PTE_R | PTE_W | PTE_A | PTE_D);
    l1_test[2] = PTE_LEAF(VIRT_DRAM_BASE + PAGE, PTE_R | PTE_W | PTE_A | PTE_D);

    const uint64_t flags[PG_COUNT] = {
        [PG_RW] = PTE_R | PTE_W | PTE_A | PTE_D,
        [PG_RO] = PTE_R | PTE_A,
        [PG_XO] = PTE_X | PTE_A,
        [PG_USER] = PTE_R | PTE_W | PTE_U | PTE_A | PTE_D,
        [PG_INVALID] = 0,
        [PG_FRESH] = PTE_R | PTE_W,
        [PG_WO] = PTE_W | PTE_A | PTE_D,
    };
    for (unsigned p = 0; p < PG_COUNT; p++) {
        l0_test[p] = PTE_LEAF(test_data[p], flags[p]);
        test_data[p][0] = 0x1000 + p;
    }
    l0_test[PG_INVALID] &= ~PTE_V;
}

#define LD(va) LOAD("ld", va)
#define SD(va, v) STORE("sd", va, v)
#define FETCH(va) __asm__ volatile("jalr ra, 0(%0)" ::"r"((uint64_t)(va)) : "ra", "memory")

/* ---- S-mode checks (paging on; traps not delegated go to M) ---- */
static long s_translation(long unused)
{
    (void)unused;
    /* 4K test page, 2M and 1G aliases of RAM, identity RAM */
    CHECK_EQ(LD(VA_OF(PG_RW)), 0x1000 + PG_RW);
    SD(VA_OF(PG_RW) + 8, 0xabcdef);
    CHECK_EQ(LD(VA_OF(PG_RW) + 8), 0xabcdef);
    uint64_t off = (uint64_t)&marker - VIRT_DRAM_BASE;
    CHECK_EQ(LD(MEGA_ALIAS_VA + off), marker);
    CHECK_EQ(LD(GIGA_ALIAS_VA + off), marker);
    SD(MEGA_ALIAS_VA + off, 0x1234);
    CHECK_EQ(marker, 0x1234);
    CHECK_EQ(LD(GIGA_ALIAS_VA + off), 0x1234);
    return 0;
}

static long s_faults(long unused)
{
    (void)unused;
    CHECK_TRAP(TRAP_OF(SD(VA_OF(PG_RO), 1)), CAUSE_STORE_PAGE_FAULT, VA_OF(PG_RO));
    CHECK_TRAP(TRAP_OF(AMO("amoadd.d", VA_OF(PG_RO), 1)), CAUSE_STORE_PAGE_FAULT, VA_OF(PG_RO));
    CHECK_TRAP(TRAP_OF(SD(GIGA_ALIAS_VA + 16, 1)), CAUSE_STORE_PAGE_FAULT, GIGA_ALIAS_VA + 16);
    CHECK_TRAP(TRAP_OF(LD(VA_OF(PG_XO))), CAUSE_LOAD_PAGE_FAULT, VA_OF(PG_XO));
    CHECK_TRAP(TRAP_OF(FETCH(VA_OF(PG_RW))), CAUSE_FETCH_PAGE_FAULT, VA_OF(PG_RW));
    CHECK_TRAP(TRAP_OF(LD(VA_OF(PG_INVALID) + 24)), CAUSE_LOAD_PAGE_FAULT, VA_OF(PG_INVALID) + 24);
    CHECK_TRAP(TRAP_OF(SD(VA_OF(PG_INVALID), 1)), CAUSE_STORE_PAGE_FAULT, VA_OF(PG_INVALID));
    CHECK_TRAP(TRAP_OF(FETCH(VA_OF(PG_INVALID))), CAUSE_FETCH_PAGE_FAULT, VA_OF(PG_INVALID));
    CHECK_TRAP(TRAP_OF(LD(VA_OF(PG_WO))), CAUSE_LOAD_PAGE_FAULT, VA_OF(PG_WO));
    CHECK_TRAP(TRAP_OF(SD(VA_OF(PG_WO), 1)), CAUSE_STORE_PAGE_FAULT, VA_OF(PG_WO));
    CHECK_TRAP(TRAP_OF(LD(BAD_MEGA_VA)), CAUSE_LOAD_PAGE_FAULT, BAD_MEGA_VA);
    CHECK_TRAP(TRAP_OF(LD(NONCANONICAL_VA)), CAUSE_LOAD_PAGE_FAULT, NONCANONICAL_VA);
    CHECK_TRAP(TRAP_OF(LD(0xffffffffc0000000ul)), CAUSE_LOAD_PAGE_FAULT, 0xffffffffc0000000ul); /* root[511]: empty */

    /* supervisor and user pages: loads need SUM; fetches from a user page never work in S */
    CHECK_TRAP(TRAP_OF(LD(VA_OF(PG_USER))), CAUSE_LOAD_PAGE_FAULT, VA_OF(PG_USER));
    csr_set(sstatus, MSTATUS_SUM);
    CHECK_EQ(LD(VA_OF(PG_USER)), 0x1000 + PG_USER);
    CHECK_TRAP(TRAP_OF(FETCH(u_load)), CAUSE_FETCH_PAGE_FAULT, (uint64_t)u_load);
    csr_clear(sstatus, MSTATUS_SUM);

    /* MXR makes execute-only pages readable, not writable */
    csr_set(sstatus, MSTATUS_MXR);
    CHECK_EQ(LD(VA_OF(PG_XO)), 0x1000 + PG_XO);
    CHECK_TRAP(TRAP_OF(SD(VA_OF(PG_XO), 1)), CAUSE_STORE_PAGE_FAULT, VA_OF(PG_XO));
    csr_clear(sstatus, MSTATUS_MXR);
    return 0;
}

static long s_accessed_dirty(long unused)
{
    (void)unused;
    CHECK_EQ(l0_test[PG_FRESH] & (PTE_A | PTE_D), 0);
    CHECK_EQ(LD(VA_OF(PG_FRESH)), 0x1000 + PG_FRESH);
    CHECK_EQ(l0_test[PG_FRESH] & (PTE_A | PTE_D), PTE_A);
    SD(VA_OF(PG_FRESH), 7);
    CHECK_EQ(l0_test[PG_FRESH] & (PTE_A | PTE_D), PTE_A | PTE_D);
    CHECK_EQ(test_data[PG_FRESH][0], 7);
    return 0;
}

static long s_sfence(long unused)
{
    (void)unused;
    CHECK_EQ(TRAP_OF(SD(VA_OF(PG_RO), 2)).cause, CAUSE_STORE_PAGE_FAULT);
    l0_test[PG_RO] |= PTE_W | PTE_D;
    sfence_vma();
    SD(VA_OF(PG_RO), 3);
    CHECK_EQ(test_data[PG_RO][0], 3);
    l0_test[PG_RO] &= ~(PTE_W | PTE_D);
    sfence_vma();
    CHECK_EQ(TRAP_OF(SD(VA_OF(PG_RO), 4)).cause, CAUSE_STORE_PAGE_FAULT);
    CHECK_EQ(test_data[PG_RO][0], 3);
    return 0;
}

static long s_delegated_fault(long unused)
{
    (void)unused;
    struct trap_record r = TRAP_OF(LD(VA_OF(PG_INVALID)));
    CHECK_EQ(r.cause, CAUSE_LOAD_PAGE_FAULT);
    CHECK_EQ(r.tval, VA_OF(PG_INVALID));
    CHECK_EQ(r.level, PRV_S);
    return 0;
}

/* ---- M-mode orchestration ---- */
static void user_mode(void)
{
    CHECK_EQ(run_in_mode(PRV_U, u_load, VA_OF(PG_USER), USER_SP), 0x1000 + PG_USER);
    CHECK_EQ(run_in_mode(PRV_U, u_store, VA_OF(PG_USER), USER_SP), 0);
    CHECK_EQ(test_data[PG_USER][0], 0x75736572);

    trap_expect(0);
    run_in_mode(PRV_U, u_load, VA_OF(PG_RW), USER_SP); /* supervisor page */
    CHECK_TRAP(trap_collect(), CAUSE_LOAD_PAGE_FAULT, VA_OF(PG_RW));
    trap_expect(0);
    run_in_mode(PRV_U, u_store, (long)&marker, USER_SP);
    CHECK_TRAP(trap_collect(), CAUSE_STORE_PAGE_FAULT, (uint64_t)&marker);
    trap_expect(0);
    run_in_mode(PRV_U, u_fetch, (long)build_page_tables, USER_SP);
    CHECK_TRAP(trap_collect(), CAUSE_FETCH_PAGE_FAULT, (uint64_t)build_page_tables);
    trap_expect(0);
    run_in_mode(PRV_U, u_load, VA_OF(PG_INVALID), USER_SP);
    CHECK_TRAP(trap_collect(), CAUSE_LOAD_PAGE_FAULT, VA_OF(PG_INVALID));
}

static void mprv(void)
{
    /* M-mode loads and stores with MPRV = 1 translate as MPP's mode; fetches do not */
    uint64_t value;
    csr_clear(mstatus, MSTATUS_MPP);
    csr_set(mstatus, (uint64_t)PRV_S << MSTATUS_MPP_SHIFT);
    __asm__ volatile("csrs mstatus, %1\n\t"
                     "ld %0, 0(%2)\n\t"
                     "csrc mstatus, %1"
                     : "=&r"(value)
                     : "r"(MSTATUS_MPRV), "r"(VA_OF(PG_RW))
                     : "memory");
    CHECK_EQ(value, 0x1000 + PG_RW);
    csr_clear(mstatus, MSTATUS_MPP); /* MPP = U: user pages only */
    __asm__ volatile("csrs mstatus, %2\n\t"
                     "sd %1, 8(%3)\n\t"
                     "ld %0, 0(%3)\n\t"
                     "csrc mstatus, %2"
                     : "=&r"(value)
                     : "r"(0x4d505256ull), "r"(MSTATUS_MPRV), "r"(VA_OF(PG_USER))
                     : "memory");
    CHECK_EQ(value, test_data[PG_USER][0]);
    CHECK_EQ(test_data[PG_USER][1], 0x4d505256);
}

int guest_main(unsigned hartid)
{
    (void)hartid;
    CHECK((uint64_t)__image_end <= VIRT_DRAM_BASE + MEGA); /* l0_ram covers the image */
    build_page_tables();
    uint64_t satp = SATP_MODE_SV39 | SATP_PPN(root);
    csr_write(satp, satp);
    sfence_vma();
    CHECK_EQ(csr_read(satp), satp);

    run_in_mode(PRV_S, s_translation, 0, 0);
    run_in_mode(PRV_S, s_faults, 0, 0);
    run_in_mode(PRV_S, s_accessed_dirty, 0, 0);
    run_in_mode(PRV_S, s_sfence, 0, 0);
    user_mode();
    mprv();

    csr_write(stvec, (uint64_t)trap_entry_s);
    csr_write(medeleg, (1ull << CAUSE_FETCH_PAGE_FAULT) | (1ull << CAUSE_LOAD_PAGE_FAULT) |
                           (1ull << CAUSE_STORE_PAGE_FAULT));
    run_in_mode(PRV_S, s_delegated_fault, 0, 0);
    trap_expect(0);
    run_in_mode(PRV_U, u_load, (long)&marker, USER_SP);
    struct trap_record r = trap_collect();
    CHECK_TRAP(r, CAUSE_LOAD_PAGE_FAULT, (uint64_t)&marker);
    CHECK_EQ(r.level, PRV_S);
    csr_write(medeleg, 0);

    csr_write(satp, 0);
    sfence_vma();
    return 0;
}
