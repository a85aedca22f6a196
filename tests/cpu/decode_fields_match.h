// Test helper: compare a DecodedInsn's operation and operand fields in one CHECK, printed readably.
#pragma once

#include <ostream>
#include <string>

#include "cpu/decoded_insn.h"

namespace locklab::rv::test {

// What decode() must produce for an encoding, apart from len and raw.
struct Fields {
    Op op;
    uint8_t rd = kZeroSink;
    uint8_t rs1 = 0;
    uint8_t rs2 = 0;
    int32_t imm = 0;
    uint8_t flags = 0;

    static Fields of(const DecodedInsn& d) { return {d.op, d.rd, d.rs1, d.rs2, d.imm, d.flags}; }
    bool operator==(const Fields&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Fields& f)
{
    return os << std::string(mnemonic(f.op)) << " rd=" << unsigned(f.rd) << " rs1=" << unsigned(f.rs1)
              << " rs2=" << unsigned(f.rs2) << " imm=" << f.imm << " flags=" << unsigned(f.flags);
}

}  // namespace locklab::rv::test
