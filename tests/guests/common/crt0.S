/* Reset entry of every guest. The boot contract (-bios none): all harts start here at once, in
 * M-mode, with a0 = hart id and a1 = device-tree address.
 *
 * Per hart: open PMP for S/U, point mtvec at trap_entry_m, set up the stacks (main stack in sp,
 * M trap stack top in mscratch, S trap stack top in sscratch), keep the hart id in tp. Harts the
 * guest did not ask for (id >= guest_harts, or beyond GUEST_MAX_HARTS) park in a WFI loop.
 * Hart 0 clears .bss once and releases the others, which wait for it before entering C. */
#include "layout.h"

    .section .text.init, "ax"
    .globl _start
_start:
    csrw mie, zero
    mv s0, a0
    mv s1, a1
    li t0, GUEST_MAX_HARTS
    bgeu s0, t0, park

    /* PMP: with PMP entries implemented but none matching, S and U could touch nothing. One
     * NAPOT entry covering everything (RWX) opens the whole space. If the PMP CSRs do not exist
     * and trap, mtvec sends us straight past them. */
    la t0, 1f
    csrw mtvec, t0
    li t0, -1
    csrw pmpaddr0, t0
    li t0, 0x1f /* A = NAPOT, R, W, X */
    csrw pmpcfg0, t0
    .balign 4
1:  la t0, trap_entry_m
    csrw mtvec, t0

    la t0, hart_stacks
    li t1, GUEST_HART_AREA
    mul t1, t1, s0
    add t0, t0, t1
    li t1, GUEST_STACK_SIZE
    add sp, t0, t1
    li t1, GUEST_STACK_SIZE + GUEST_TRAP_STACK_SIZE
    add t2, t0, t1
    csrw mscratch, t2
    li t1, GUEST_HART_AREA
    add t2, t0, t1
    csrw sscratch, t2
    mv tp, s0

    la t0, guest_harts
    lwu t0, 0(t0)
    bgeu s0, t0, park

    bnez s0, 3f
    la t0, __bss_start
    la t1, __bss_end
2:  bgeu t0, t1, 4f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 2b
3:  la t0, runtime_ready
5:  lw t1, 0(t0)
    beqz t1, 5b
    fence rw, rw
    j 6f
4:  la t0, boot_fdt
    sd s1, 0(t0)
    fence rw, rw
    la t0, runtime_ready
    li t1, 1
    sw t1, 0(t0)
6:  mv a0, s0
    call guest_start

    .globl park
park:
    csrw mie, zero
7:  wfi
    j 7b

    .section .data
    .balign 4
runtime_ready:
    .word 0

    .section .stacks, "aw", @nobits
    .balign 16
hart_stacks:
    .space GUEST_MAX_HARTS * GUEST_HART_AREA
