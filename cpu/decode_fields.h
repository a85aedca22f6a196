// Bit-field helpers shared by the 32-bit and the compressed decoders (cpu/decode.cpp,
// cpu/decode_compressed.cpp). Internal to the decoder: not part of the cpu/ contract.
#pragma once

#include <cstdint>

#include "cpu/decoded_insn.h"

namespace locklab::rv::decoding {

// Bits hi..lo of x, right-aligned.
constexpr uint32_t field(uint32_t x, unsigned hi, unsigned lo)
{
    return (x >> lo) & ((uint32_t(1) << (hi - lo + 1)) - 1);
}

// Bit `from` of x, moved to bit `to` (for the scrambled immediates).
constexpr uint32_t bit_to(uint32_t x, unsigned from, unsigned to) { return ((x >> from) & 1) << to; }

// Sign-extend the low `width` bits of x.
constexpr int32_t sext(uint32_t x, unsigned width)
{
    const unsigned shift = 32 - width;
    return int32_t(x << shift) >> shift;
}

// Destination register as DecodedInsn wants it: x0 becomes the write sink.
constexpr uint8_t dest(uint32_t reg) { return reg == 0 ? kZeroSink : uint8_t(reg); }

// The 16-bit decoder (cpu/decode_compressed.cpp); `parcel` is the first 16 bits, low bits != 0b11.
DecodedInsn decode_compressed(uint16_t parcel);

}  // namespace locklab::rv::decoding
