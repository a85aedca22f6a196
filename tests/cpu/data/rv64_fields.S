# For each major opcode of RV64IMA except SYSTEM and MISC-MEM (whose reserved fields objdump and
# the spec treat differently; all_insns.S covers them): every value of inst[31:25] and funct3, with
# pseudo-random registers and immediate bits (xorshift32, fixed seed, so the file is reproducible).
    .text
    .set    x, 2463534242
    .irp    opcode, 0x03, 0x13, 0x17, 0x1b, 0x23, 0x2f, 0x33, 0x37, 0x3b, 0x63, 0x67, 0x6f
    .set    top, 0
    .rept   1024
    .set    x, x ^ ((x << 13) & 0xffffffff)
    .set    x, x ^ (x >> 17)
    .set    x, x ^ ((x << 5) & 0xffffffff)
    .4byte  ((top >> 3) << 25) | (x & 0x01ff8f80) | ((top & 7) << 12) | \opcode
    .set    top, top + 1
    .endr
    .endr
