#include "tests/difftest/handler.h"

#include "cpu/csr_defs.h"
#include "tests/cpu/asm_helpers.h"
#include "tests/difftest/layout.h"

namespace locklab::rv::difftest {
namespace {

namespace enc = test::enc;

constexpr unsigned t0 = 5, t1 = 6, t2 = 7, t3 = 28, t6 = kCtxReg;

struct Handler {
    std::vector<uint32_t> code;
    uint64_t done = 0;  // address of the WFI at `done`
};

Handler build()
{
    // Forward branches are patched once their label is known.
    std::vector<uint32_t> c;
    std::vector<size_t> to_done;  // branches to `done`
    auto at = [&] { return c.size(); };
    auto branch_to_done = [&](uint32_t insn_without_offset) {
        to_done.push_back(at());
        c.push_back(insn_without_offset);
    };
    const auto csrr = [](unsigned rd, uint16_t n) { return enc::csrrs(rd, n, 0); };

    c.push_back(enc::sd(t0, t6, 0));
    c.push_back(enc::sd(t1, t6, 8));
    c.push_back(enc::sd(t2, t6, 16));
    c.push_back(enc::sd(t3, t6, 24));
    c.push_back(csrr(t0, csr::mepc));
    c.push_back(csrr(t2, csr::mcause));
    c.push_back(enc::ld(t1, t6, kCtxExitPc));
    branch_to_done(enc::beq(t0, t1, 0));  // the exit ecall: not logged
    // Log {cause, tval, epc, mstatus} at ring slot (count & 63), then count + 1.
    c.push_back(enc::ld(t1, t6, kCtxTrapCount));
    c.push_back(enc::addi(t3, t1, 1));
    c.push_back(enc::sd(t3, t6, kCtxTrapCount));
    c.push_back(enc::andi(t1, t1, 63));
    c.push_back(enc::slli(t1, t1, 5));
    c.push_back(enc::or_(t1, t1, t6));  // kCtx is page aligned (and the handler uses no ADD, so an
                                        // engine with a broken ADD shows it in the program only)
    c.push_back(enc::sd(t2, t1, kCtxLog));
    c.push_back(csrr(t3, csr::mtval));
    c.push_back(enc::sd(t3, t1, kCtxLog + 8));
    c.push_back(enc::sd(t0, t1, kCtxLog + 16));
    c.push_back(csrr(t3, csr::mstatus));
    c.push_back(enc::sd(t3, t1, kCtxLog + 24));
    // Fetch faults end the program.
    c.push_back(enc::addi(t3, 0, 1));
    branch_to_done(enc::beq(t2, t3, 0));
    c.push_back(enc::addi(t3, 0, 12));
    branch_to_done(enc::beq(t2, t3, 0));
    // Ecall from U (8) or S (9): return to M-mode.
    const size_t skip_if_below_8 = at();
    c.push_back(enc::addi(t3, 0, 8));
    c.push_back(0);  // bltu t2, t3, skip
    c.push_back(enc::addi(t3, 0, 9));
    c.push_back(0);  // bltu t3, t2, skip
    c.push_back(enc::addi(t3, 0, 3));
    c.push_back(enc::slli(t3, t3, 11));
    c.push_back(enc::i_type(csr::mstatus, t3, 2, 0, 0x73));  // csrrs zero, mstatus, t3
    const size_t skip = at();
    c[skip_if_below_8 + 1] = enc::bltu(t2, t3, int32_t(4 * (skip - (skip_if_below_8 + 1))));
    c[skip_if_below_8 + 3] = enc::bltu(t3, t2, int32_t(4 * (skip - (skip_if_below_8 + 3))));
    // mepc += length of the instruction there (2 unless its low bits are 0b11).
    c.push_back(enc::lhu(t3, t0, 0));
    c.push_back(enc::andi(t3, t3, 3));
    c.push_back(enc::addi(t0, t0, 2));
    c.push_back(enc::addi(t3, t3, -3));
    c.push_back(enc::bne(t3, 0, 8));
    c.push_back(enc::addi(t0, t0, 2));
    c.push_back(enc::csrrw(0, csr::mepc, t0));
    c.push_back(enc::ld(t0, t6, 0));
    c.push_back(enc::ld(t1, t6, 8));
    c.push_back(enc::ld(t2, t6, 16));
    c.push_back(enc::ld(t3, t6, 24));
    c.push_back(enc::mret());
    const size_t done = at();
    c.push_back(enc::wfi());
    c.push_back(enc::jal(0, -4));
    for (size_t i : to_done) {
        c[i] |= enc::b_type(int32_t(4 * (done - i)), 0, 0, 0) & ~0x7fu;
    }
    return {c, kHandler + 4 * done};
}

const Handler& handler()
{
    static const Handler h = build();
    return h;
}

}  // namespace

const std::vector<uint32_t>& handler_code() { return handler().code; }
uint64_t done_pc() { return handler().done + 4; }

}  // namespace locklab::rv::difftest
