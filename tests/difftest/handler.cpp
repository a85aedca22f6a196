#include "tests/difftest/handler.h"

#include <map>
#include <string>

#include "cpu/csr_defs.h"
#include "tests/cpu/asm_helpers.h"
#include "tests/difftest/layout.h"

namespace locklab::rv::difftest {
namespace {

namespace enc = test::enc;

constexpr unsigned t0 = 5, t1 = 6, t2 = 7, t3 = 28, t6 = kCtxReg;

// A few lines of straight assembly with labels: branches and jumps are patched by finish().
class Assembler {
public:
    void emit(uint32_t insn) { code_.push_back(insn); }
    // A B-type branch (offset field zero) or JAL to `label`.
    void branch(uint32_t insn, const char* label)
    {
        fixups_.push_back({code_.size(), label});
        emit(insn);
    }
    void label(const char* name) { labels_[name] = code_.size(); }
    size_t address_of(const char* name) const { return labels_.at(name); }
    std::vector<uint32_t> finish()
    {
        for (const auto& [at, name] : fixups_) {
            const int32_t off = int32_t(4 * (int64_t(labels_.at(name)) - int64_t(at)));
            const bool jal = (code_[at] & 0x7f) == 0x6f;
            code_[at] |= (jal ? enc::j_type(off, 0) : enc::b_type(off, 0, 0, 0)) & ~0x7fu;
        }
        return code_;
    }

private:
    std::vector<uint32_t> code_;
    std::vector<std::pair<size_t, std::string>> fixups_;
    std::map<std::string, size_t> labels_;
};

struct Handler {
    std::vector<uint32_t> code;
    uint64_t wait = 0;  // address of the WFI the program ends at
};

Handler build()
{
    const auto csrr = [](unsigned rd, uint16_t n) { return enc::csrrs(rd, n, 0); };
    Assembler a;
    a.emit(enc::sd(t0, t6, 0));
    a.emit(enc::sd(t1, t6, 8));
    a.emit(enc::sd(t2, t6, 16));
    a.emit(enc::sd(t3, t6, 24));
    a.emit(csrr(t0, csr::mepc));
    a.emit(csrr(t2, csr::mcause));
    a.emit(enc::ld(t1, t6, kCtxExitPc));
    a.branch(enc::beq(t0, t1, 0), "done");  // the exit ecall: not logged
    // Log {cause, tval, epc, mstatus} at ring slot (count & 63), then count + 1.
    a.emit(enc::ld(t1, t6, kCtxTrapCount));
    a.emit(enc::addi(t3, t1, 1));
    a.emit(enc::sd(t3, t6, kCtxTrapCount));
    a.emit(enc::andi(t1, t1, 63));
    a.emit(enc::slli(t1, t1, 5));
    a.emit(enc::or_(t1, t1, t6));  // kCtx is page aligned (and the handler uses no ADD, so an
                                   // engine with a broken ADD shows it in the program only)
    a.emit(enc::sd(t2, t1, kCtxLog));
    a.emit(csrr(t3, csr::mtval));
    a.emit(enc::sd(t3, t1, kCtxLog + 8));
    a.emit(enc::sd(t0, t1, kCtxLog + 16));
    a.emit(csrr(t3, csr::mstatus));
    a.emit(enc::sd(t3, t1, kCtxLog + 24));
    // An interrupt (mcause < 0): clear the software-writable pending bits, resume at mepc.
    a.branch(enc::blt(t2, 0, 0), "interrupt");
    // Fetch faults end the program.
    a.emit(enc::addi(t3, 0, 1));
    a.branch(enc::beq(t2, t3, 0), "done");
    a.emit(enc::addi(t3, 0, 12));
    a.branch(enc::beq(t2, t3, 0), "done");
    // Ecall from U (8) or S (9): return to M-mode.
    a.emit(enc::addi(t3, 0, 8));
    a.branch(enc::bltu(t2, t3, 0), "skip");
    a.emit(enc::addi(t3, 0, 9));
    a.branch(enc::bltu(t3, t2, 0), "skip");
    a.emit(enc::addi(t3, 0, 3));
    a.emit(enc::slli(t3, t3, 11));
    a.emit(enc::i_type(csr::mstatus, t3, 2, 0, 0x73));  // csrrs zero, mstatus, t3
    // mepc += length of the instruction there (2 unless its low bits are 0b11).
    a.label("skip");
    a.emit(enc::lhu(t3, t0, 0));
    a.emit(enc::andi(t3, t3, 3));
    a.emit(enc::addi(t0, t0, 2));
    a.emit(enc::addi(t3, t3, -3));
    a.emit(enc::bne(t3, 0, 8));
    a.emit(enc::addi(t0, t0, 2));
    a.emit(enc::csrrw(0, csr::mepc, t0));
    a.label("return");
    a.emit(enc::ld(t0, t6, 0));
    a.emit(enc::ld(t1, t6, 8));
    a.emit(enc::ld(t2, t6, 16));
    a.emit(enc::ld(t3, t6, 24));
    a.emit(enc::mret());
    a.label("interrupt");
    a.emit(enc::csrrw(0, csr::mip, 0));
    a.branch(enc::jal(0, 0), "return");
    // The end: interrupts off (a pending enabled one would wake WFI), then wait.
    a.label("done");
    a.emit(enc::csrrw(0, csr::mie, 0));
    a.label("wait");
    a.emit(enc::wfi());
    a.emit(enc::jal(0, -4));
    const size_t wait = a.address_of("wait");
    return {a.finish(), kHandler + 4 * wait};
}

const Handler& handler()
{
    static const Handler h = build();
    return h;
}

}  // namespace

const std::vector<uint32_t>& handler_code() { return handler().code; }
uint64_t done_pc() { return handler().wait + 4; }

}  // namespace locklab::rv::difftest
