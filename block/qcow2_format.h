// qcow2 on-disk constants (docs/interop/qcow2.rst): header field offsets, feature bits, and the
// bit layout of L1, L2 and refcount-table entries. All numbers in the file are big-endian.
#pragma once

#include <cstdint>
#include <cstring>

namespace locklab::qcow2 {

inline constexpr uint32_t kMagic = 0x514649fb;  // "QFI\xfb"

inline constexpr uint32_t kHeaderV2Length = 72;
inline constexpr uint32_t kHeaderV3Length = 104;
inline constexpr uint32_t kMinClusterBits = 9;
inline constexpr uint32_t kMaxClusterBits = 21;           // QEMU's implementation limit (2 MiB)
inline constexpr uint32_t kMaxBackingNameSize = 1023;
inline constexpr uint64_t kMaxL1Bytes = 32u << 20;         // QEMU's cap on the L1 table
inline constexpr uint64_t kMaxRefcountTableBytes = 8u << 20;  // QEMU's cap on the refcount table
inline constexpr uint32_t kMaxRefcountOrder = 6;

// Incompatible feature bits (header byte 72).
inline constexpr uint64_t kIncompatDirty = 1u << 0;
inline constexpr uint64_t kIncompatCorrupt = 1u << 1;
inline constexpr uint64_t kIncompatDataFile = 1u << 2;
inline constexpr uint64_t kIncompatCompression = 1u << 3;
inline constexpr uint64_t kIncompatExtendedL2 = 1u << 4;

// Header extension types.
inline constexpr uint32_t kExtEnd = 0;
inline constexpr uint32_t kExtBackingFormat = 0xe2792aca;
inline constexpr uint32_t kExtFeatureTable = 0x6803f857;
inline constexpr uint32_t kExtDataFile = 0x44415441;

// L1 entries, L2 entries (standard clusters) and refcount-table entries: bits 9-55 hold a
// cluster-aligned host offset.
inline constexpr uint64_t kOffsetMask = 0x00fffffffffffe00ull;
inline constexpr uint64_t kFlagCopied = 1ull << 63;      // refcount is exactly one
inline constexpr uint64_t kFlagCompressed = 1ull << 62;  // L2 only
inline constexpr uint64_t kFlagZero = 1ull << 0;         // L2 only, version 3
inline constexpr uint64_t kL1Reserved = 0x7f000000000001ffull;
inline constexpr uint64_t kL2Reserved = 0x3f000000000001feull;  // standard clusters
inline constexpr uint64_t kRefTableReserved = 0x1ffull;

inline uint16_t load_be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t load_be32(const uint8_t* p)
{
    return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}
inline uint64_t load_be64(const uint8_t* p) { return uint64_t{load_be32(p)} << 32 | load_be32(p + 4); }
inline void store_be16(uint8_t* p, uint16_t v)
{
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}
inline void store_be32(uint8_t* p, uint32_t v)
{
    store_be16(p, static_cast<uint16_t>(v >> 16));
    store_be16(p + 2, static_cast<uint16_t>(v));
}
inline void store_be64(uint8_t* p, uint64_t v)
{
    store_be32(p, static_cast<uint32_t>(v >> 32));
    store_be32(p + 4, static_cast<uint32_t>(v));
}

}  // namespace locklab::qcow2
