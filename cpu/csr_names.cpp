#include <fmt/format.h>

#include "cpu/csr_defs.h"

namespace locklab::rv {

std::string csr_name(uint16_t number)
{
    switch (number) {
#define X(name, num) \
    case num: return #name;
#include "cpu/csrs.def"
#undef X
    default: break;
    }
    auto in = [number](uint16_t lo, uint16_t hi) { return number >= lo && number <= hi; };
    if (in(csr::hpmcounter3, csr::hpmcounter31)) return fmt::format("hpmcounter{}", number - 0xC00);
    if (in(csr::mhpmcounter3, csr::mhpmcounter31)) return fmt::format("mhpmcounter{}", number - 0xB00);
    if (in(csr::mhpmevent3, csr::mhpmevent31)) return fmt::format("mhpmevent{}", number - 0x320);
    if (in(csr::pmpcfg0, csr::pmpcfg15) && number % 2 == 0) return fmt::format("pmpcfg{}", number - csr::pmpcfg0);
    if (in(csr::pmpaddr0, csr::pmpaddr63)) return fmt::format("pmpaddr{}", number - csr::pmpaddr0);
    return {};
}

}  // namespace locklab::rv
