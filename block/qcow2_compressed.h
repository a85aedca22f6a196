// Compressed qcow2 clusters (compression type 0): raw deflate streams (no zlib header), decoded
// with zlib.
#pragma once

#include <cstddef>
#include <cstdint>

namespace locklab {

// Inflates `in` until `out` (one cluster) is full. 0, or -EIO if the stream is corrupt or too short.
int inflate_cluster(const uint8_t* in, size_t in_len, uint8_t* out, size_t out_len);

}  // namespace locklab
