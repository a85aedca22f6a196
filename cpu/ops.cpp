#include <array>

#include "cpu/decoded_insn.h"

namespace locklab::rv {
namespace {
struct OpInfo {
    std::string_view mnemonic;
    uint8_t flags;
};
constexpr std::array<OpInfo, size_t(Op::COUNT)> kOps = {{
#define X(name, mnem, flags) {mnem, flags},
#include "cpu/ops.def"
#undef X
}};
}  // namespace

std::string_view mnemonic(Op op) { return kOps[size_t(op)].mnemonic; }
uint8_t op_flags(Op op) { return kOps[size_t(op)].flags; }

}  // namespace locklab::rv
