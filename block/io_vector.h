// Helpers on IoVector (block_driver.h): total size, sub-ranges, copies to and from flat buffers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "block/block_driver.h"

namespace locklab {

uint64_t iov_size(const IoVector& iov);
// The `len` bytes of `iov` starting `skip` bytes in, as spans into the same buffers.
IoVector iov_slice(const IoVector& iov, uint64_t skip, uint64_t len);
void iov_to_buffer(const IoVector& iov, uint8_t* dst);        // copies iov_size(iov) bytes
void iov_from_buffer(const IoVector& iov, const uint8_t* src);
void iov_fill_zero(const IoVector& iov);

// Is [offset, offset + bytes) a valid range of a disk of `length` bytes (no overflow)?
inline bool range_in_disk(uint64_t offset, uint64_t bytes, uint64_t length)
{
    return offset <= length && bytes <= length - offset;
}

}  // namespace locklab
