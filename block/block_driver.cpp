#include "block/block_driver.h"

#include <cerrno>

namespace locklab {

int BlockDriver::write_zeroes(uint64_t, uint64_t, bool) { return -ENOTSUP; }

int BlockDriver::discard(uint64_t, uint64_t) { return -ENOTSUP; }

int BlockDriver::try_read_nowait(uint64_t, const IoVector&) { return -ENOTSUP; }

int BlockDriver::try_write_nowait(uint64_t, const IoVector&) { return -ENOTSUP; }

}  // namespace locklab
