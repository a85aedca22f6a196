// The qcow2 header (cluster 0): parsing and validation of every field, the header extensions and
// the backing file name. A bad image gives a BlockError naming the file, the field and its offset.
#pragma once

#include <cstdint>
#include <string>

#include "block/host_file.h"

namespace locklab {

struct Qcow2Header {
    uint32_t version = 0;
    uint64_t backing_file_offset = 0;
    uint32_t backing_file_size = 0;
    uint32_t cluster_bits = 0;
    uint64_t size = 0;  // virtual disk size in bytes
    uint32_t crypt_method = 0;
    uint32_t l1_size = 0;
    uint64_t l1_table_offset = 0;
    uint64_t refcount_table_offset = 0;
    uint32_t refcount_table_clusters = 0;
    uint32_t nb_snapshots = 0;
    uint64_t snapshots_offset = 0;
    // Version 3 (zero for version 2, as the specification says absent fields are):
    uint64_t incompatible_features = 0;
    uint64_t compatible_features = 0;
    uint64_t autoclear_features = 0;
    uint32_t refcount_order = 4;
    uint32_t header_length = 0;
    uint8_t compression_type = 0;

    std::string backing_file;    // empty: no backing file
    std::string backing_format;  // from the backing-format extension; empty: probe

    uint64_t cluster_size() const { return uint64_t{1} << cluster_bits; }
    uint64_t l2_entries() const { return cluster_size() / 8; }
    uint32_t refcount_bits() const { return 1u << refcount_order; }
    uint64_t refblock_entries() const { return cluster_size() * 8 / refcount_bits(); }
};

// Reads and validates the header of `file` (whose size is `file_size`). Throws BlockError for a
// malformed image and for features this implementation refuses (encryption, external data file,
// non-zlib compression, extended L2, a set corrupt or dirty bit, unknown incompatible bits).
Qcow2Header read_qcow2_header(const HostFile& file, uint64_t file_size);

// Header byte offset of the autoclear feature bits (cleared when we open an image for writing).
inline constexpr uint64_t kQcow2AutoclearOffset = 88;

}  // namespace locklab
