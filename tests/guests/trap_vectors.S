/* Vector tables for mtvec/stvec in vectored mode (traps.c). Entry i counts a hit in
 * mvector_hits[i] / svector_hits[i] and continues at the runtime's trap entry, so the test can see
 * which entry each trap or interrupt went through. Entries are 4-byte jumps: no compression. */

.macro VECTOR_STUB level, i
vec_\level\()_\i:
    csrrw sp, \level\()scratch, sp
    addi sp, sp, -16
    sd t0, 0(sp)
    sd t1, 8(sp)
    la t0, \level\()vector_hits
    ld t1, (\i * 8)(t0)
    addi t1, t1, 1
    sd t1, (\i * 8)(t0)
    ld t0, 0(sp)
    ld t1, 8(sp)
    addi sp, sp, 16
    csrrw sp, \level\()scratch, sp
    j trap_entry_\level
.endm

.macro VECTOR_TABLE level
    .balign 64
    .globl \level\()vector_table
\level\()vector_table:
    .option push
    .option norvc
    .irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    j vec_\level\()_\i
    .endr
    .option pop
    .irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    VECTOR_STUB \level, \i
    .endr
.endm

    .text
    VECTOR_TABLE m
    VECTOR_TABLE s

    .section .bss
    .balign 8
    .globl mvector_hits, svector_hits
mvector_hits:
    .space 16 * 8
svector_hits:
    .space 16 * 8
