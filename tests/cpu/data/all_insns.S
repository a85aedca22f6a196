# Every instruction form the decoder handles, for the disassembler round trip against GNU objdump
# (tests/cpu/fixtures.cmake assembles it and dumps the raw code with `objdump -D -M no-aliases`).
# Operands are chosen to hit sign extension, field extremes and every register-name class.
# The file is never executed.

    .text
    .globl _start
_start:
    .option norvc

# --- RV64I: upper immediates and jumps ---
    lui     a0, 0x12345
    lui     t6, 0xfffff
    lui     zero, 0x80000
    auipc   t0, 0x0
    auipc   s11, 0xabcde
    jal     ra, _start
    jal     zero, 1f
1:  jal     s0, 2f
    .space  1024
2:  jalr    zero, 0(ra)
    jalr    ra, -2048(t1)
    jalr    a5, 2047(sp)

# --- branches (backward, forward, every comparison) ---
3:  beq     a0, a1, 3b
    bne     s2, zero, 4f
    blt     t3, t4, 3b
    bge     gp, tp, 4f
    bltu    s10, a7, 3b
4:  bgeu    zero, s1, 4b

# --- loads and stores ---
    lb      a0, -1(a1)
    lh      t0, 2047(s0)
    lw      s3, -2048(sp)
    ld      ra, 8(sp)
    lbu     a2, 0(a3)
    lhu     a4, 100(a5)
    lwu     a6, -100(a7)
    sb      a0, -1(a1)
    sh      t0, 2047(s0)
    sw      s3, -2048(sp)
    sd      ra, 8(sp)

# --- register-immediate ---
    addi    a0, a0, -1
    addi    zero, zero, 0
    addi    sp, sp, 2047
    slti    t0, t1, -2048
    sltiu   t2, s0, 1
    xori    s1, a0, -1
    ori     a1, a2, 0x7ff
    andi    a3, a4, 0xff
    slli    a5, a6, 0
    slli    a7, s2, 63
    srli    s3, s4, 1
    srli    s5, s6, 32
    srai    s7, s8, 63
    srai    s9, s10, 0

# --- register-register ---
    add     s11, t3, t4
    sub     t5, t6, zero
    sll     a0, a1, a2
    slt     a3, a4, a5
    sltu    a6, a7, s2
    xor     s3, s4, s5
    srl     s6, s7, s8
    sra     s9, s10, s11
    or      t3, t4, t5
    and     t6, ra, sp

# --- RV64I word operations ---
    addiw   a0, a1, -1
    addiw   a2, a3, 2047
    slliw   a4, a5, 31
    srliw   a6, a7, 1
    sraiw   s2, s3, 31
    sraiw   s4, s5, 0
    addw    s6, s7, s8
    subw    s9, s10, s11
    sllw    t3, t4, t5
    srlw    t6, ra, sp
    sraw    gp, tp, t0

# --- fences and system ---
    fence   iorw, iorw
    fence   r, w
    fence   w, r
    fence   i, o
    fence   rw, rw
    fence.tso
    fence.i
    ecall
    ebreak

# --- M ---
    mul     a0, a1, a2
    mulh    a3, a4, a5
    mulhsu  a6, a7, s2
    mulhu   s3, s4, s5
    div     s6, s7, s8
    divu    s9, s10, s11
    rem     t3, t4, t5
    remu    t6, ra, sp
    mulw    a0, a1, a2
    divw    a3, a4, a5
    divuw   a6, a7, s2
    remw    s3, s4, s5
    remuw   s6, s7, s8

# --- A (every aq/rl combination on a few, both widths) ---
    lr.w    a0, (a1)
    lr.w.aq a0, (a1)
    lr.w.rl a0, (a1)
    lr.w.aqrl a0, (a1)
    sc.w    a2, a3, (a4)
    sc.w.aq a2, a3, (a4)
    sc.w.rl a2, a3, (a4)
    sc.w.aqrl a2, a3, (a4)
    amoswap.w  a0, a1, (a2)
    amoadd.w   a0, a1, (a2)
    amoxor.w   a0, a1, (a2)
    amoand.w   a0, a1, (a2)
    amoor.w    a0, a1, (a2)
    amomin.w   a0, a1, (a2)
    amomax.w   a0, a1, (a2)
    amominu.w  a0, a1, (a2)
    amomaxu.w  a0, a1, (a2)
    amoadd.w.aqrl zero, t0, (sp)
    lr.d    t0, (t1)
    lr.d.aqrl t0, (t1)
    sc.d    t2, s0, (s1)
    sc.d.rl t2, s0, (s1)
    amoswap.d.aq  a0, a1, (a2)
    amoadd.d      a0, a1, (a2)
    amoxor.d.rl   a0, a1, (a2)
    amoand.d      a0, a1, (a2)
    amoor.d.aqrl  a0, a1, (a2)
    amomin.d      a0, a1, (a2)
    amomax.d      a0, a1, (a2)
    amominu.d     a0, a1, (a2)
    amomaxu.d     a0, a1, (a2)

# --- Zicsr (the CSRs locklab names, an unnamed number, immediate forms; csr_sweep.S has all 4096) ---
    csrrw   t0, mstatus, t1
    csrrs   a0, mepc, zero
    csrrc   zero, mie, a1
    csrrwi  zero, mtvec, 31
    csrrsi  a2, mip, 0
    csrrci  a3, sstatus, 8
    csrrs   a4, satp, zero
    csrrs   a5, mhartid, zero
    csrrs   a6, cycle, zero
    csrrs   a7, time, zero
    csrrs   s2, instret, zero
    csrrw   zero, 0x7c0, t0
    csrrs   t0, misa, zero
    csrrw   zero, medeleg, t1
    csrrw   zero, mideleg, t1
    csrrw   zero, mscratch, t1
    csrrw   zero, mcause, t1
    csrrw   zero, mtval, t1
    csrrw   zero, mcounteren, t1
    csrrw   zero, mcountinhibit, t1
    csrrw   zero, menvcfg, t1
    csrrw   zero, mcycle, t1
    csrrw   zero, minstret, t1
    csrrs   t0, mvendorid, zero
    csrrs   t0, marchid, zero
    csrrs   t0, mimpid, zero
    csrrs   t0, mconfigptr, zero
    csrrw   zero, sie, t1
    csrrw   zero, stvec, t1
    csrrw   zero, scounteren, t1
    csrrw   zero, senvcfg, t1
    csrrw   zero, sscratch, t1
    csrrw   zero, sepc, t1
    csrrw   zero, scause, t1
    csrrw   zero, stval, t1
    csrrw   zero, sip, t1
    csrrw   zero, pmpcfg0, t1
    csrrw   zero, pmpcfg2, t1
    csrrw   zero, pmpaddr0, t1
    csrrw   zero, pmpaddr15, t1
    csrrs   t0, hpmcounter3, zero
    csrrs   t0, hpmcounter31, zero
    csrrw   zero, mhpmcounter3, t1
    csrrw   zero, mhpmevent3, t1
    csrrw   zero, mhpmevent31, t1

# --- privileged ---
    mret
    sret
    wfi
    sfence.vma zero, zero
    sfence.vma a0, zero
    sfence.vma a0, a1

# --- RV64C, quadrant 0 ---
    .option rvc
    c.addi4spn a0, sp, 4
    c.addi4spn s1, sp, 1020
    c.lw    a0, 0(a1)
    c.lw    s0, 124(a5)
    c.ld    a2, 0(a3)
    c.ld    a4, 248(s1)
    c.sw    a0, 64(a1)
    c.sw    s0, 124(a5)
    c.sd    a2, 8(a3)
    c.sd    a4, 248(s1)

# --- RV64C, quadrant 1 ---
    c.nop
    c.addi  a0, 1
    c.addi  sp, -32
    c.addi  t6, 31
    c.addiw a0, -1
    c.addiw s1, 0
    c.li    a0, -32
    c.li    t0, 31
    c.addi16sp sp, -512
    c.addi16sp sp, 496
    c.addi16sp sp, 16
    c.lui   a0, 1
    c.lui   t0, 0xfffff
    c.lui   s11, 0x1f
    c.lui   a1, 0xfffe0
    c.srli  a0, 1
    c.srli  s1, 63
    c.srai  a5, 63
    c.srai  s0, 32
    c.andi  a0, -1
    c.andi  a2, 31
    c.andi  s1, -32
    c.sub   a0, a1
    c.xor   s0, a5
    c.or    a2, a3
    c.and   a4, s1
    c.subw  a0, a1
    c.addw  s1, a5
5:  c.j     5b
    c.j     6f
    c.beqz  a0, 5b
    c.bnez  s1, 6f
    .space  200
6:  c.beqz  a5, 6b

# --- RV64C, quadrant 2 ---
    c.slli  a0, 1
    c.slli  t6, 63
    c.lwsp  a0, 0(sp)
    c.lwsp  ra, 252(sp)
    c.ldsp  s0, 8(sp)
    c.ldsp  t6, 504(sp)
    c.jr    ra
    c.jr    t0
    c.mv    a0, a1
    c.mv    s1, t6
    c.ebreak
    c.jalr  a0
    c.add   a0, a1
    c.add   t6, s1
    c.swsp  a0, 0(sp)
    c.swsp  ra, 252(sp)
    c.sdsp  s0, 8(sp)
    c.sdsp  t6, 504(sp)

# --- compressed HINTs: they decode to their expansion (.insn, since the assembler rejects them) ---
    .insn   0x0005      # c.nop with nzimm 1
    .insn   0x0501      # c.addi a0, 0
    .insn   0x4005      # c.li zero, 1
    .insn   0x6005      # c.lui zero, 1
    .insn   0x0006      # c.slli zero, 1
    .insn   0x0502      # c.slli a0, 0 (objdump: c.slli64)
    .insn   0x8101      # c.srli a0, 0 (objdump: c.srli64)
    .insn   0x8501      # c.srai a0, 0 (objdump: c.srai64)
    .insn   0x802e      # c.mv zero, a1
    .insn   0x902e      # c.add zero, a1
