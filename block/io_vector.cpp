#include "block/io_vector.h"

#include <algorithm>
#include <cstring>

namespace locklab {

uint64_t iov_size(const IoVector& iov)
{
    uint64_t n = 0;
    for (const auto& s : iov) n += s.size();
    return n;
}

IoVector iov_slice(const IoVector& iov, uint64_t skip, uint64_t len)
{
    IoVector out;
    for (const auto& s : iov) {
        if (len == 0) break;
        if (skip >= s.size()) {
            skip -= s.size();
            continue;
        }
        const uint64_t take = std::min<uint64_t>(s.size() - skip, len);
        out.push_back(s.subspan(skip, take));
        len -= take;
        skip = 0;
    }
    return out;
}

void iov_to_buffer(const IoVector& iov, uint8_t* dst)
{
    for (const auto& s : iov) {
        if (s.empty()) continue;
        std::memcpy(dst, s.data(), s.size());
        dst += s.size();
    }
}

void iov_from_buffer(const IoVector& iov, const uint8_t* src)
{
    for (const auto& s : iov) {
        if (s.empty()) continue;
        std::memcpy(s.data(), src, s.size());
        src += s.size();
    }
}

void iov_fill_zero(const IoVector& iov)
{
    for (const auto& s : iov) std::fill(s.begin(), s.end(), uint8_t{0});
}

}  // namespace locklab
