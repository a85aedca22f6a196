# Every 16-bit parcel (low two bits != 0b11), in order: the disassembler test checks each one the
# decoder accepts against GNU objdump, and that the ones it rejects are reserved or F/D encodings.
    .text
    .set    parcel, 0
    .rept   65536
    .if     (parcel & 3) != 3
    .2byte  parcel
    .endif
    .set    parcel, parcel + 1
    .endr
