#include "block/qcow2_compressed.h"

#include <zlib.h>

#include <cerrno>

namespace locklab {

int inflate_cluster(const uint8_t* in, size_t in_len, uint8_t* out, size_t out_len)
{
    z_stream s{};
    if (inflateInit2(&s, -15) != Z_OK) return -ENOMEM;  // negative window bits: raw deflate
    s.next_in = const_cast<Bytef*>(in);                 // zlib's API is not const-correct
    s.avail_in = static_cast<uInt>(in_len);
    s.next_out = out;
    s.avail_out = static_cast<uInt>(out_len);
    const int ret = inflate(&s, Z_FINISH);
    const bool full = s.avail_out == 0;
    inflateEnd(&s);
    // The data may end inside the last sector with trailing bytes of the next cluster after it:
    // a full output is success whether or not zlib saw the stream end.
    return (ret == Z_STREAM_END || ret == Z_OK || ret == Z_BUF_ERROR) && full ? 0 : -EIO;
}

}  // namespace locklab
