# csrrs t0, <n>, zero for every CSR number n, for the disassembler test: every CSR name locklab
# prints must be the one GNU objdump prints (tests/cpu/fixtures.cmake dumps this file).
    .text
    .set    csr_number, 0
    .rept   4096
    csrrs   t0, csr_number, zero
    .set    csr_number, csr_number + 1
    .endr
