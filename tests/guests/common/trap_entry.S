/* Trap entry for M- and S-mode, and run_in_mode(). See trap.h for what the C side does.
 *
 * Entry swaps sp with the level's scratch CSR (which holds the level's trap-stack top), saves all
 * registers and the trap CSRs in a struct trap_frame, and calls trap_handle(frame, level). On the
 * way out it writes back xepc and xstatus from the frame (the handler may change them), puts the
 * trap-stack top back in the scratch CSR and restores every register, sp last. */
#include "layout.h"

.macro SAVE_GPRS
    .irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sd x\n, (\n * 8)(sp)
    .endr
.endm

.macro RESTORE_GPRS
    .irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ld x\n, (\n * 8)(sp)
    .endr
    ld sp, (2 * 8)(sp)
.endm

/* TRAP_ENTRY level-letter, level number */
.macro TRAP_ENTRY x, level
    .balign 4
    .globl trap_entry_\x
trap_entry_\x:
    csrrw sp, \x\()scratch, sp
    addi sp, sp, -TF_SIZE
    SAVE_GPRS
    csrr t0, \x\()scratch
    sd t0, (2 * 8)(sp)
    csrr t0, \x\()cause
    sd t0, TF_CAUSE(sp)
    csrr t0, \x\()epc
    sd t0, TF_EPC(sp)
    csrr t0, \x\()tval
    sd t0, TF_TVAL(sp)
    csrr t0, \x\()status
    sd t0, TF_STATUS(sp)
    mv a0, sp
    li a1, \level
    call trap_handle
    ld t0, TF_EPC(sp)
    csrw \x\()epc, t0
    ld t0, TF_STATUS(sp)
    csrw \x\()status, t0
    addi t0, sp, TF_SIZE
    csrw \x\()scratch, t0
    RESTORE_GPRS
    \x\()ret
.endm

    .text
    TRAP_ENTRY m, 3
    TRAP_ENTRY s, 1

/* long run_in_mode(unsigned mode, long (*fn)(long), long arg, uint64_t sp)
 * Saves the callee-saved registers on the caller's stack and that stack pointer in
 * mode_ctx_sp[hart]; trap_handle() returns to mode_resume with that sp when fn's final ecall
 * (a7 = MODE_RETURN_MAGIC) arrives. */
    .globl run_in_mode
run_in_mode:
    addi sp, sp, -112
    sd ra, 0(sp)
    sd s0, 8(sp)
    sd s1, 16(sp)
    sd s2, 24(sp)
    sd s3, 32(sp)
    sd s4, 40(sp)
    sd s5, 48(sp)
    sd s6, 56(sp)
    sd s7, 64(sp)
    sd s8, 72(sp)
    sd s9, 80(sp)
    sd s10, 88(sp)
    sd s11, 96(sp)
    la t0, mode_ctx_sp
    slli t1, tp, 3
    add t0, t0, t1
    sd sp, 0(t0)
    /* Interrupts off until mret: a trap taken between `csrw mepc` and `mret` would overwrite mepc.
     * mret restores MIE from MPIE, so MPIE gets the caller's MIE. */
    csrrci t2, mstatus, 8 /* mstatus.MIE */
    andi t2, t2, 8
    slli t2, t2, 4 /* MIE (bit 3) -> MPIE (bit 7) */
    li t0, (3 << 11) | (1 << 7) /* mstatus.MPP, mstatus.MPIE */
    csrc mstatus, t0
    slli t1, a0, 11
    or t1, t1, t2
    csrs mstatus, t1
    la t0, mode_trampoline
    bnez a0, 2f
    la t0, mode_trampoline_user
2:  csrw mepc, t0
    mv a0, a1
    mv a1, a2
    bnez a3, 1f
    addi a3, sp, -16
1:  mv sp, a3
    mret

    .globl mode_resume
mode_resume:
    ld ra, 0(sp)
    ld s0, 8(sp)
    ld s1, 16(sp)
    ld s2, 24(sp)
    ld s3, 32(sp)
    ld s4, 40(sp)
    ld s5, 48(sp)
    ld s6, 56(sp)
    ld s7, 64(sp)
    ld s8, 72(sp)
    ld s9, 80(sp)
    ld s10, 88(sp)
    ld s11, 96(sp)
    addi sp, sp, 112
    ret

/* Runs at the lower level: a0 = fn, a1 = arg. U-mode uses the copy in the .user pages, which a
 * test with paging maps user-accessible; S and M use the copy in .text, since S-mode cannot
 * execute from user pages. */
.macro MODE_TRAMPOLINE name
    .globl \name
\name:
    mv t0, a0
    mv a0, a1
    jalr t0
    li a7, MODE_RETURN_MAGIC
    ecall
1:  j 1b
.endm

    .text
    MODE_TRAMPOLINE mode_trampoline
    .section .user.text, "ax"
    MODE_TRAMPOLINE mode_trampoline_user

    .section .bss
    .balign 8
    .globl mode_ctx_sp
mode_ctx_sp:
    .space 8 * GUEST_MAX_HARTS
