#include "block/block_driver.h"

#include <cerrno>

namespace locklab {

int BlockDriver::write_zeroes(uint64_t, uint64_t, bool) { return -ENOTSUP; }

int BlockDriver::discard(uint64_t, uint64_t) { return -ENOTSUP; }

}  // namespace locklab
