#include "tests/difftest/generator.h"

#include <bit>
#include <limits>
#include <random>

#include "cpu/csr_defs.h"
#include "tests/cpu/asm_helpers.h"
#include "tests/difftest/layout.h"
#include "tests/difftest/rvc_encode.h"

namespace locklab::rv::difftest {
namespace {

namespace enc = test::enc;
using enc::Amo;

class Rng {
public:
    explicit Rng(uint64_t seed) : g_(seed) {}
    uint64_t next() { return g_(); }
    uint64_t below(uint64_t n) { return g_() % n; }
    int64_t range(int64_t lo, int64_t hi) { return lo + int64_t(below(uint64_t(hi - lo + 1))); }
    bool chance(unsigned percent) { return below(100) < percent; }
    template <class C>
    auto pick(const C& c) -> decltype(*std::begin(c))
    {
        return *(std::begin(c) + below(std::size(c)));
    }

private:
    std::mt19937_64 g_;
};

enum class LowMode { S, U };

class Generator {
public:
    Generator(uint64_t seed, const GeneratorOptions& o) : rng_(seed), opts_(o)
    {
        p_.seed = seed;
        p_.code_base = kCode + 2 * rng_.below(kPage / 2);
        mode_ = rng_.chance(50) ? LowMode::S : LowMode::U;
        paging_ = rng_.chance(50);
    }

    Program run()
    {
        init_state();
        while (p_.body.size() < opts_.length) unit(true);
        begin_unit();
        emit(enc::ecall());  // the exit: the handler stops here
        resolve_targets();
        if (paging_) map_pages();
        return std::move(p_);
    }

private:
    // ---- emitting ----
    void begin_unit()
    {
        ++unit_;
        unit_starts_.resize(p_.body.size() + 1, false);
        unit_starts_[p_.body.size()] = true;
    }
    size_t emit(uint32_t bits, Fixup f = Fixup::None, int32_t target = -1, int32_t anchor = -1)
    {
        p_.body.push_back({bits, 4, f, target, anchor, unit_});
        return p_.body.size() - 1;
    }
    size_t emit16(uint16_t bits, Fixup f = Fixup::None, int32_t target = -1)
    {
        p_.body.push_back({bits, 2, f, target, -1, unit_});
        return p_.body.size() - 1;
    }
    // A forward jump target 1..max instructions on; resolve_targets() moves it to a unit start.
    int32_t ahead(unsigned max) { return int32_t(p_.body.size() + 1 + rng_.below(max)); }
    // Forward targets land on the start of a unit (never inside an address set-up) or on the exit;
    // one whose offset does not fit its encoding becomes the next instruction.
    void resolve_targets()
    {
        unit_starts_.resize(p_.body.size(), false);
        const int32_t exit = int32_t(p_.body.size() - 1);
        for (size_t i = 0; i < p_.body.size(); ++i) {
            Insn& in = p_.body[i];
            if (in.target <= int32_t(i)) continue;  // none, or a loop's backward branch
            if (i < exact_target_.size() && exact_target_[i]) continue;  // names one instruction on purpose
            int32_t t = std::min(in.target, exit);
            while (t < exit && !unit_starts_[size_t(t)]) ++t;
            in.target = t;
        }
        const std::vector<uint64_t> addrs = p_.addresses();
        for (size_t i = 0; i < p_.body.size(); ++i) {
            Insn& in = p_.body[i];
            if (in.target < 0) continue;
            const size_t from = in.fixup == Fixup::PcrelImm ? size_t(in.anchor) : i;
            const int64_t off = int64_t(addrs[size_t(in.target)] - addrs[from]);
            const int64_t limit = in.fixup == Fixup::CBranch ? 256 : in.fixup == Fixup::CJump ? 2048 : 2048;
            if (off >= limit || off < -limit) in.target = int32_t(i + 1);
        }
    }

    // ---- registers and values ----
    unsigned wr() { return rng_.pick(kWritable); }
    unsigned any_reg() { return unsigned(rng_.below(32)); }
    unsigned wr3() { return unsigned(rng_.range(9, 15)); }  // x9..x15 (s0 = x8 is a data base)
    unsigned r3() { return unsigned(rng_.range(8, 15)); }
    uint64_t interesting()
    {
        static constexpr uint64_t kEdge[] = {0,
                                             1,
                                             ~uint64_t(0),
                                             uint64_t(std::numeric_limits<int64_t>::min()),
                                             uint64_t(std::numeric_limits<int64_t>::max()),
                                             0xffff'ffff'8000'0000,
                                             0x7fff'ffff,
                                             0xffff'ffff,
                                             0x1'0000'0000,
                                             2,
                                             ~uint64_t(1)};
        switch (rng_.below(4)) {
        case 0: return rng_.pick(kEdge);
        case 1: return rng_.below(64);
        case 2: return uint64_t(int64_t(int32_t(rng_.next())));
        default: return rng_.next();
        }
    }
    uint64_t bad_address()
    {
        static constexpr uint64_t kBadAddrs[] = {0x0, 0x2000'0000, kRamBase + kRamSize + 0x100, 0xffff'ffff'0000'0000,
                                                 kRamBase + 0x9'0000};  // RAM, but unmapped under Sv39
        return rng_.pick(kBadAddrs);
    }

    void init_state()
    {
        InitialState& s = p_.init;
        for (unsigned r : kWritable) s.x[r] = interesting();
        s.x[kSp] = kSpValue;
        s.x[kS0] = kS0Value;
        s.x[kBase] = kBaseValue;
        s.x[kAmoBase] = kBaseValue;
        s.x[kBad] = bad_address();
        s.x[kTmp] = 0;
        s.x[kLoop] = 0;
        s.x[kCtxReg] = kCtx;
        s.mstatus = (rng_.chance(30) ? MSTATUS_SUM : 0) | (rng_.chance(20) ? MSTATUS_MXR : 0) |
                    (rng_.chance(10) ? MSTATUS_TW : 0) | (rng_.chance(10) ? MSTATUS_TSR : 0);
        s.satp = paging_ ? (SATP_MODE_SV39 << SATP_MODE_SHIFT | kPageTables >> 12) : 0;
        s.mcounteren = rng_.chance(70) ? rng_.below(8) : 7;
        s.scounteren = rng_.below(8);
        s.data.resize(kDataPages * kPage);
        for (uint8_t& b : s.data) b = uint8_t(rng_.next());
        s.mmio.resize(0x100);
        for (uint8_t& b : s.mmio) b = uint8_t(rng_.next());
    }

    void map_pages()
    {
        const uint64_t u = mode_ == LowMode::U ? PTE_U : 0;
        const auto map = [&](uint64_t va, uint64_t pa, uint64_t flags, int level = 0) {
            p_.init.mappings.push_back({va, pa, flags, level});
        };
        if (rng_.chance(20)) {  // one 2 MiB megapage over the first 2 MiB of RAM (all but the device)
            map(kRamBase, kRamBase, PTE_V | PTE_R | PTE_W | PTE_X | u | (rng_.chance(50) ? PTE_A | PTE_D : 0), 1);
            map(kMmio, kMmio, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | u);
            return;
        }
        const uint64_t first = p_.code_base & ~(kPage - 1);
        const uint64_t last = (p_.code_base + 4 * p_.body.size()) & ~(kPage - 1);
        for (uint64_t va = first; va <= last; va += kPage) {
            map(va, va, PTE_V | PTE_R | PTE_X | u | (rng_.chance(70) ? PTE_A : 0));
        }
        for (unsigned i = 0; i < kDataPages; ++i) {
            static constexpr uint64_t kPerms[] = {PTE_R | PTE_W, PTE_R | PTE_W, PTE_R | PTE_W, PTE_R,
                                                  PTE_R | PTE_W | PTE_X, PTE_X, PTE_W /* reserved */, 0};
            uint64_t flags = PTE_V | rng_.pick(kPerms) | (rng_.chance(85) ? u : PTE_U - u);
            if (rng_.chance(60)) flags |= PTE_A;
            if (rng_.chance(50)) flags |= PTE_D;
            if (rng_.chance(5)) flags &= ~PTE_V;
            map(kData + i * kPage, kData + i * kPage, flags);
            // The alias: same page, its own permissions (and A/D bits in its own PTE).
            map(kDataAlias + i * kPage, kData + i * kPage, PTE_V | PTE_R | PTE_W | u | (rng_.chance(50) ? PTE_A : 0));
        }
        map(kMmio, kMmio, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | u);
    }

    // ---- units ----
    void unit(bool top_level)
    {
        begin_unit();
        struct Kind {
            unsigned weight;
            void (Generator::*fn)();
            bool nested_ok;  // allowed inside a loop body
        };
        static constexpr Kind kKinds[] = {
            {14, &Generator::alu_rr, true},      {12, &Generator::alu_imm, true},
            {3, &Generator::upper, true},        {2, &Generator::div_edge, true},
            {8, &Generator::load, true},         {8, &Generator::store, true},
            {5, &Generator::amo, true},          {3, &Generator::lr_sc, true},
            {12, &Generator::compressed, true},  {6, &Generator::branch, false},
            {3, &Generator::jal, false},         {3, &Generator::c_branch, false},
            {2, &Generator::jalr, false},        {2, &Generator::c_jr, false},
            {3, &Generator::loop, false},        {4, &Generator::csr_read, true},
            {4, &Generator::csr_write, true},    {2, &Generator::status_bits, true},
            {5, &Generator::system, true},       {2, &Generator::enter_mret, false},
            {1, &Generator::enter_sret, false},  {6, &Generator::interrupt, true},
            {2, &Generator::self_modify, false}, {2, &Generator::patch_ahead, true},
            {5, &Generator::hammock, true},      {3, &Generator::scaled_add, true},
        };
        unsigned total = 0;
        for (const Kind& k : kKinds) total += (top_level || k.nested_ok) ? k.weight : 0;
        uint64_t r = rng_.below(total);
        for (const Kind& k : kKinds) {
            if (!top_level && !k.nested_ok) continue;
            if (r < k.weight) {
                (this->*k.fn)();
                return;
            }
            r -= k.weight;
        }
    }

    void alu_rr()
    {
        static constexpr uint32_t (*kOps[])(unsigned, unsigned, unsigned) = {
            enc::add,  enc::sub,  enc::sll,   enc::slt,    enc::sltu,  enc::xor_, enc::srl,  enc::sra,
            enc::or_,  enc::and_, enc::addw,  enc::subw,   enc::sllw,  enc::srlw, enc::sraw, enc::mul,
            enc::mulh, enc::mulhsu, enc::mulhu, enc::div,  enc::divu,  enc::rem,  enc::remu, enc::mulw,
            enc::divw, enc::divuw, enc::remw, enc::remuw};
        emit(rng_.pick(kOps)(rng_.chance(3) ? 0 : wr(), any_reg(), any_reg()));
    }

    void alu_imm()
    {
        static constexpr uint32_t (*kImm[])(unsigned, unsigned, int32_t) = {enc::addi, enc::slti, enc::sltiu,
                                                                            enc::xori, enc::ori,  enc::andi,
                                                                            enc::addiw};
        static constexpr uint32_t (*kShift[])(unsigned, unsigned, unsigned) = {enc::slli, enc::srli, enc::srai};
        static constexpr uint32_t (*kShiftW[])(unsigned, unsigned, unsigned) = {enc::slliw, enc::srliw, enc::sraiw};
        const unsigned rd = rng_.chance(3) ? 0 : wr();
        switch (rng_.below(3)) {
        case 0: emit(rng_.pick(kShift)(rd, any_reg(), unsigned(rng_.below(64)))); break;
        case 1: emit(rng_.pick(kShiftW)(rd, any_reg(), unsigned(rng_.below(32)))); break;
        default: emit(rng_.pick(kImm)(rd, any_reg(), int32_t(rng_.range(-2048, 2047)))); break;
        }
    }

    void upper()
    {
        const int32_t imm20 = int32_t(rng_.below(1 << 20));
        emit(rng_.chance(50) ? enc::lui(wr(), imm20) : enc::auipc(wr(), imm20));
    }

    // INT_MIN / -1 and x / 0 for the 64- and 32-bit divisions.
    void div_edge()
    {
        static constexpr uint32_t (*kDiv[])(unsigned, unsigned, unsigned) = {
            enc::div, enc::divu, enc::rem, enc::remu, enc::divw, enc::divuw, enc::remw, enc::remuw};
        const unsigned a = wr(), b = wr();
        const bool w = rng_.chance(50);
        emit(enc::addi(a, 0, 1));
        emit(enc::slli(a, a, w ? 31 : 63));
        if (w) emit(enc::addiw(a, a, 0));
        emit(enc::addi(b, 0, rng_.chance(50) ? -1 : 0));
        emit(rng_.pick(kDiv)(wr(), rng_.chance(80) ? a : b, b));
    }

    // A data address: base register and offset (offsets reach every byte of the data pages the
    // base is meant for; s10 faults).
    std::pair<unsigned, int32_t> data_ref()
    {
        switch (rng_.below(10)) {
        case 0: return {kBad, int32_t(rng_.range(-16, 16))};
        case 1: return {kSp, int32_t(rng_.range(-2048, 2047))};
        case 2: return {kS0, int32_t(rng_.range(-2048, 2047))};
        case 3: return {kAmoBase, int32_t(rng_.range(-64, 64))};  // data, alias, device or faulting
        default: return {kBase, int32_t(rng_.range(-2048, 2047))};
        }
    }
    // Misaligned 20% of the time (unless the offset is already aligned for any size).
    int32_t maybe_aligned(int32_t off, unsigned size) { return rng_.chance(80) ? off & ~int32_t(size - 1) : off; }

    void load()
    {
        static constexpr std::pair<uint32_t (*)(unsigned, unsigned, int32_t), unsigned> kLoads[] = {
            {enc::lb, 1}, {enc::lh, 2}, {enc::lw, 4}, {enc::ld, 8}, {enc::lbu, 1}, {enc::lhu, 2}, {enc::lwu, 4}};
        const auto [fn, size] = rng_.pick(kLoads);
        const auto [base, off] = data_ref();
        emit(fn(rng_.chance(3) ? 0 : wr(), base, maybe_aligned(off, size)));
    }

    void store()
    {
        static constexpr std::pair<uint32_t (*)(unsigned, unsigned, int32_t), unsigned> kStores[] = {
            {enc::sb, 1}, {enc::sh, 2}, {enc::sw, 4}, {enc::sd, 8}};
        const auto [fn, size] = rng_.pick(kStores);
        const auto [base, off] = data_ref();
        emit(fn(any_reg(), base, maybe_aligned(off, size)));
    }

    // t5 = s11 + offset (aligned for `size` unless misaligned is wanted).
    void amo_address(unsigned size)
    {
        int32_t off = int32_t(rng_.range(-256, 255)) & ~int32_t(size - 1);
        if (rng_.chance(8)) off += int32_t(rng_.range(1, int64_t(size) - 1));
        if (rng_.chance(4)) {
            emit(enc::addi(kAmoBase, kBad, 0));  // a faulting address
        } else if (rng_.chance(10)) {  // the data pages through their alias (Sv39; faults when bare)
            emit(enc::lui(kAmoBase, int32_t((kDataAlias + 0x2000) >> 12)));
            emit(enc::addi(kAmoBase, kAmoBase, off));
        } else if (rng_.chance(15)) {
            emit(enc::lui(kAmoBase, int32_t(kMmio >> 12)));  // the test device (dispatch path)
            emit(enc::addi(kAmoBase, kAmoBase, 64 + (off & 0x7f)));
        } else {
            emit(enc::addi(kAmoBase, kBase, off));
        }
    }
    uint32_t aq_rl() { return uint32_t(rng_.below(4)) << 25; }

    void amo()
    {
        static constexpr Amo kAmos[] = {Amo::ADD, Amo::SWAP, Amo::XOR, Amo::OR, Amo::AND,
                                        Amo::MIN, Amo::MAX,  Amo::MINU, Amo::MAXU};
        const bool d = rng_.chance(50);
        amo_address(d ? 8 : 4);
        const Amo f = rng_.pick(kAmos);
        const unsigned rd = rng_.chance(5) ? 0 : wr();
        emit((d ? enc::amo_d(f, rd, kAmoBase, any_reg()) : enc::amo_w(f, rd, kAmoBase, any_reg())) | aq_rl());
    }

    void lr_sc()
    {
        const bool d = rng_.chance(50);
        amo_address(d ? 8 : 4);
        emit((d ? enc::lr_d(wr(), kAmoBase) : enc::lr_w(wr(), kAmoBase)) | aq_rl());
        if (rng_.chance(30)) alu_rr();
        if (rng_.chance(15)) emit(enc::addi(kAmoBase, kAmoBase, d ? 8 : 4));  // SC elsewhere: fails
        if (rng_.chance(10)) emit(enc::sw(any_reg(), kAmoBase, 0));          // store in between
        const bool sc_d = rng_.chance(90) ? d : !d;
        emit((sc_d ? enc::sc_d(wr(), kAmoBase, any_reg()) : enc::sc_w(wr(), kAmoBase, any_reg())) | aq_rl());
    }

    void compressed()
    {
        using namespace cenc;
        const int imm6 = int(rng_.range(-32, 31));
        switch (rng_.below(22)) {
        case 0: emit16(c_addi(wr(), imm6)); break;
        case 1: emit16(c_addiw(rng_.chance(5) ? 0 : wr(), imm6)); break;  // rd = 0 is reserved
        case 2: emit16(c_li(wr(), imm6)); break;
        case 3: emit16(c_lui(wr(), rng_.chance(5) ? 0 : imm6)); break;   // nzimm = 0 is reserved
        case 4: emit16(c_slli(wr(), unsigned(rng_.below(64)))); break;
        case 5: emit16(c_srli(wr3(), unsigned(rng_.below(64)))); break;
        case 6: emit16(c_srai(wr3(), unsigned(rng_.below(64)))); break;
        case 7: emit16(c_andi(wr3(), imm6)); break;
        case 8: {
            static constexpr uint16_t (*kCa[])(unsigned, unsigned) = {c_sub, c_xor, c_or, c_and, c_subw, c_addw};
            emit16(rng_.pick(kCa)(wr3(), r3()));
            break;
        }
        case 9: emit16(c_mv(wr(), unsigned(rng_.range(1, 31)))); break;
        case 10: emit16(c_add(wr(), unsigned(rng_.range(1, 31)))); break;
        case 11: emit16(c_addi4spn(wr3(), unsigned(rng_.below(256)) * 4)); break;  // 0: reserved
        case 12: emit16(c_lw(wr3(), kS0, unsigned(rng_.below(32)) * 4)); break;
        case 13: emit16(c_ld(wr3(), kS0, unsigned(rng_.below(32)) * 8)); break;
        case 14: emit16(c_sw(r3(), kS0, unsigned(rng_.below(32)) * 4)); break;
        case 15: emit16(c_sd(r3(), kS0, unsigned(rng_.below(32)) * 8)); break;
        case 16: emit16(c_lwsp(wr(), unsigned(rng_.below(64)) * 4)); break;
        case 17: emit16(c_ldsp(wr(), unsigned(rng_.below(64)) * 8)); break;
        case 18: emit16(c_swsp(any_reg(), unsigned(rng_.below(64)) * 4)); break;
        case 19: emit16(c_sdsp(any_reg(), unsigned(rng_.below(64)) * 8)); break;
        case 20: emit16(c_nop()); break;
        default: emit16(uint16_t(rng_.chance(50) ? 0x0000 : 0x9002)); break;  // c.unimp / c.ebreak
        }
    }

    void branch()
    {
        static constexpr uint32_t (*kBr[])(unsigned, unsigned, int32_t) = {enc::beq, enc::bne, enc::blt,
                                                                           enc::bge, enc::bltu, enc::bgeu};
        emit(rng_.pick(kBr)(any_reg(), any_reg(), 0), Fixup::Branch, ahead(12));
    }
    // A conditional branch over exactly one instruction, mostly register arithmetic (the JIT turns
    // that pair into a Select), sometimes anything else the generator makes (which it must not).
    void hammock()
    {
        static constexpr uint32_t (*kBr[])(unsigned, unsigned, int32_t) = {enc::beq, enc::bne, enc::blt,
                                                                           enc::bge, enc::bltu, enc::bgeu};
        size_t br;
        if (rng_.chance(30)) br = emit16(rng_.chance(50) ? cenc::c_beqz(r3()) : cenc::c_bnez(r3()), Fixup::CBranch);
        else br = emit(rng_.pick(kBr)(any_reg(), any_reg(), 0), Fixup::Branch);
        switch (rng_.below(8)) {
        case 0: case 1: case 2: alu_rr(); break;
        case 3: case 4: alu_imm(); break;
        case 5: upper(); break;
        case 6: compressed(); break;
        default: load(); break;
        }
        p_.body[br].target = int32_t(p_.body.size());
        exact_target_.resize(br + 1, false);
        exact_target_[br] = true;  // the instruction right after the skipped one, unit start or not
    }
    // slli g, x, 1..3 then add g, g, y (or y, g), sometimes with an unrelated operation or one
    // that reads or writes g or x in between: the JIT fuses the pair into one lea when nothing
    // between observes the shifted value (cpu/tcg/optimize.h, fuse_shift_add).
    void scaled_add()
    {
        const unsigned g = wr(), x = rng_.chance(30) ? g : any_reg(), y = any_reg();
        emit(enc::slli(g, x, unsigned(rng_.range(1, rng_.chance(80) ? 3 : 5))));
        if (rng_.chance(40)) {
            if (rng_.chance(50)) alu_imm();
            else alu_rr();
        }
        emit(rng_.chance(50) ? enc::add(g, g, y) : enc::add(g, y, g));
    }
    void jal() { emit(enc::jal(rng_.chance(50) ? 0 : wr(), 0), Fixup::Jal, ahead(12)); }
    void c_branch()
    {
        if (rng_.chance(30)) {
            emit16(cenc::c_j(), Fixup::CJump, ahead(12));
        } else {
            emit16(rng_.chance(50) ? cenc::c_beqz(r3()) : cenc::c_bnez(r3()), Fixup::CBranch, ahead(12));
        }
    }
    // auipc t4, 0; jalr rd, (target - auipc)(t4)
    void jalr()
    {
        const int32_t a = int32_t(emit(enc::auipc(kTmp, 0)));
        emit(enc::jalr(rng_.chance(50) ? 0 : wr(), kTmp, 0), Fixup::PcrelImm, ahead(12), a);
    }
    // auipc t4, 0; addi t4, t4, target - auipc; c.jr t4 / c.jalr t4
    void c_jr()
    {
        const int32_t a = int32_t(emit(enc::auipc(kTmp, 0)));
        emit(enc::addi(kTmp, kTmp, 0), Fixup::PcrelImm, ahead(12), a);
        emit16(rng_.chance(50) ? cenc::c_jr(kTmp) : cenc::c_jalr(kTmp));
    }
    // s9 = n; body; s9 -= 1; if (0 < s9) goto body
    void loop()
    {
        emit(enc::addi(kLoop, 0, int32_t(rng_.range(1, 5))));
        const int32_t top = int32_t(p_.body.size());
        const uint32_t loop_unit = unit_;
        const int n = int(rng_.range(1, 8));
        for (int i = 0; i < n; ++i) unit(false);
        begin_unit();  // a unit start (a forward jump may land here), but shrunk with the loop's set-up
        emit(enc::addi(kLoop, kLoop, -1));
        emit(enc::blt(0, kLoop, 0), Fixup::Branch, top);
        p_.body[p_.body.size() - 1].unit = p_.body[p_.body.size() - 2].unit = loop_unit;
    }

    uint16_t readable_csr()
    {
        static constexpr uint16_t kCsrs[] = {
            csr::mscratch, csr::sscratch, csr::mstatus, csr::sstatus,  csr::mepc,     csr::sepc,
            csr::mcause,   csr::scause,   csr::mtval,   csr::stval,    csr::misa,     csr::mhartid,
            csr::mvendorid, csr::cycle,   csr::instret, csr::time,     csr::mcycle,   csr::minstret,
            csr::satp,     csr::mip,      csr::sip,     csr::mie,      csr::sie,      csr::mtvec,
            csr::medeleg,  csr::mcounteren, csr::scounteren, csr::mcountinhibit, csr::menvcfg,
            0xC03 /* hpmcounter3 */, 0x3A0 /* pmpcfg0 */, 0x001 /* fflags: no F */, 0x7C0, 0x5C0, 0xFFF};
        return rng_.pick(kCsrs);
    }
    void csr_read()
    {
        const uint16_t n = readable_csr();
        emit(rng_.chance(80) ? enc::csrrs(wr(), n, 0) : enc::i_type(n, 0, 6, wr(), 0x73));  // csrrs / csrrsi 0
    }
    // Writes of any value to CSRs whose value cannot break the harness (not mtvec/stvec or
    // medeleg/mideleg), plus attempts at read-only ones.
    void csr_write()
    {
        static constexpr uint16_t kCsrs[] = {
            csr::mscratch, csr::sscratch, csr::mepc,  csr::sepc,       csr::mcause,     csr::scause,
            csr::mtval,    csr::stval,    csr::mcycle, csr::minstret,  csr::mcountinhibit, csr::mcounteren,
            csr::scounteren, csr::menvcfg, csr::senvcfg, csr::mip,     csr::sip,        csr::cycle,
            csr::mie,      csr::sie,
            csr::misa,     csr::mhartid, 0xC03};
        const uint16_t n = rng_.chance(10) ? uint16_t(csr::satp) : rng_.pick(kCsrs);
        const unsigned rd = rng_.chance(50) ? 0 : wr();
        if (n == csr::satp) {  // csrrw rd, satp, t4 with t4 = bare or the program's Sv39 root
            const uint64_t sv39 = SATP_MODE_SV39 << SATP_MODE_SHIFT | kPageTables >> 12;
            load_tmp(paging_ && rng_.chance(70) ? sv39 : 0);
            emit(enc::csrrw(rd, n, kTmp));
            return;
        }
        static constexpr uint32_t kFunct3[] = {1, 2, 3, 5, 6, 7};  // csrrw/s/c, csrrwi/si/ci
        const uint32_t f3 = rng_.pick(kFunct3);
        emit(enc::i_type(n, f3 >= 5 ? unsigned(rng_.below(32)) : any_reg(), f3, rd, 0x73));
    }
    // t4 = v, for a v of the form (12-bit value << shift), or bit 63 | 20-bit value (a satp).
    void load_tmp(uint64_t v)
    {
        if (v >> 63) {
            emit(enc::addi(kTmp, 0, 1));
            emit(enc::slli(kTmp, kTmp, 51));
            emit(enc::addi(kTmp, kTmp, int32_t((v >> 12) & 0x7ff)));
            emit(enc::slli(kTmp, kTmp, 12));
            emit(enc::addi(kTmp, kTmp, int32_t(v & 0x7ff)));
            return;
        }
        const int shift = v ? std::countr_zero(v) : 0;
        emit(enc::addi(kTmp, 0, int32_t(v >> shift)));
        if (shift) emit(enc::slli(kTmp, kTmp, unsigned(shift)));
    }
    void status_bits()
    {
        static constexpr uint64_t kBits[] = {MSTATUS_SUM, MSTATUS_MXR, MSTATUS_MPRV, MSTATUS_TW,  MSTATUS_TSR,
                                             MSTATUS_TVM, MSTATUS_SPIE, MSTATUS_MPIE, MSTATUS_SIE, MSTATUS_MIE,
                                             MSTATUS_SPP, MSTATUS_MPP};
        load_tmp(rng_.pick(kBits));
        const uint16_t n = rng_.chance(25) ? uint16_t(csr::sstatus) : uint16_t(csr::mstatus);
        emit(enc::i_type(n, kTmp, rng_.chance(50) ? 2 : 3, rng_.chance(50) ? 0 : wr(), 0x73));  // csrrs / csrrc
    }

    void system()
    {
        static constexpr uint32_t kIllegal[] = {0xffff'ffff, 0x0000'007f, 0x3020'0073 | (1 << 7) /* mret rd != 0 */,
                                                0x0000'0000 /* c.unimp */, 0x1234'5077};
        // No bare mret/sret: they jump to whatever xepc holds, often backwards (a loop without a
        // bound); enter_mret/enter_sret execute them in every mode with a forward xepc.
        switch (rng_.below(8)) {
        case 0: emit(enc::ecall()); break;
        case 1: emit(enc::ebreak()); break;
        case 2: emit16(cenc::c_ebreak()); break;
        case 3: {
            const uint32_t w = rng_.pick(kIllegal);
            if ((w & 3) != 3) {
                emit16(uint16_t(w));
            } else {
                emit(w);
            }
            break;
        }
        case 4: emit(enc::wfi()); break;
        case 5: emit(enc::fence()); break;
        case 6: emit(enc::fence_i()); break;
        default: emit(0x1200'0073 | uint32_t(any_reg()) << 15 | uint32_t(any_reg()) << 20); break;  // sfence.vma
        }
    }

    // Software interrupts: pending bits (mip/sip SSIP, STIP, SEIP), their enables in mie, and
    // mstatus.MIE. Once both a pending and its enable bit are set, the interrupt is taken right after
    // the CSR instruction (or mret) that completed the pair, in every engine; the handler clears
    // the pending bits.
    void interrupt()
    {
        static constexpr uint64_t kBits[] = {MIP_SSIP, MIP_STIP, MIP_SEIP, MIP_SSIP | MIP_STIP | MIP_SEIP};
        switch (rng_.below(4)) {
        case 0:
            load_tmp(rng_.pick(kBits));
            emit(enc::i_type(csr::mie, kTmp, 2, rng_.chance(50) ? 0 : wr(), 0x73));  // csrrs mie
            break;
        case 1:
            load_tmp(rng_.pick(kBits));
            emit(enc::i_type(rng_.chance(70) ? csr::mip : csr::sip, kTmp, 2, 0, 0x73));  // csrrs mip/sip
            break;
        case 2: emit(enc::i_type(csr::mstatus, MSTATUS_MIE, 6, 0, 0x73)); break;  // csrrsi mstatus, MIE
        default: emit(enc::i_type(csr::mip, MIP_SSIP, 6, 0, 0x73)); break;        // csrrsi mip, SSIP
        }
    }

    // Self-modifying code: a two-round loop whose first instruction is overwritten (sw, then in half
    // the programs fence.i) in round one, so round two runs the new instruction: with fence.i as
    // RISC-V requires, without it as locklab (like QEMU, x86-like) promises too (cpu/code_map.h). In
    // S/U-mode under Sv39 the store faults (code pages are not writable) and both rounds run the
    // old one.
    void self_modify()
    {
        const uint32_t now = smc_op(), later = smc_op();
        const unsigned value = wr();
        emit(enc::addi(kLoop, 0, 2));
        const int32_t slot = int32_t(emit(now));
        load_insn(value, later);
        const int32_t anchor = int32_t(emit(enc::auipc(kTmp, 0)));
        emit(enc::addi(kTmp, kTmp, 0), Fixup::PcrelImm, slot, anchor);
        emit(enc::sw(value, kTmp, 0));
        if (rng_.chance(50)) {
            const size_t fence = emit(enc::fence_i());
            p_.body[fence].pinned = true;
        }
        emit(enc::addi(kLoop, kLoop, -1));
        emit(enc::blt(0, kLoop, 0), Fixup::Branch, slot);
    }

    // Precise self-modifying code: a store over the instruction right after it, in the same
    // straight-line block, without fence.i: every engine must run the new instruction (the block
    // that was decoded or translated with the old one ends after the store). The slot may be only
    // 2-byte aligned (a misaligned store, performed byte by byte) or straddle a page.
    void patch_ahead()
    {
        const uint32_t now = smc_op(), later = smc_op();
        const unsigned value = wr();
        load_insn(value, later);
        const int32_t anchor = int32_t(emit(enc::auipc(kTmp, 0)));
        const size_t addi = emit(enc::addi(kTmp, kTmp, 0), Fixup::PcrelImm, -1, anchor);
        emit(enc::sw(value, kTmp, 0));
        p_.body[addi].target = int32_t(emit(now));
        exact_target_.resize(addi + 1, false);
        exact_target_[addi] = true;  // not moved on to the next unit start (a loop's decrement, say)
    }
    uint32_t smc_op()
    {
        static constexpr uint32_t (*kOps[])(unsigned, unsigned, unsigned) = {enc::add, enc::xor_, enc::sub,
                                                                             enc::mulw, enc::sltu};
        return rng_.pick(kOps)(wr(), any_reg(), any_reg());
    }
    // reg = the 32-bit encoding `insn` (lui + addiw).
    void load_insn(unsigned reg, uint32_t insn)
    {
        const int32_t hi = int32_t((uint64_t(insn) + 0x800) >> 12) & 0xfffff;
        emit(enc::lui(reg, hi));
        emit(enc::addiw(reg, reg, int32_t(insn) - (hi << 12)));
    }

    // t4 = the address of the instruction after `ret_insn`; xepc = t4; x-ret into the lower mode.
    void set_return_address(uint16_t epc)
    {
        const int32_t a = int32_t(emit(enc::auipc(kTmp, 0)));
        const size_t addi = emit(enc::addi(kTmp, kTmp, 0), Fixup::PcrelImm, -1, a);
        emit(enc::csrrw(0, epc, kTmp));
        p_.body[addi].target = int32_t(p_.body.size() + 1);  // after the xRET that follows
    }
    void enter_mret()
    {
        load_tmp(MSTATUS_MPP);
        emit(enc::i_type(csr::mstatus, kTmp, 3, 0, 0x73));  // csrrc zero, mstatus, t4: MPP = U
        if (mode_ == LowMode::S) {
            load_tmp(uint64_t(1) << MSTATUS_MPP_SHIFT);
            emit(enc::i_type(csr::mstatus, kTmp, 2, 0, 0x73));  // MPP = S
        }
        set_return_address(csr::mepc);
        emit(enc::mret());
    }
    void enter_sret()
    {
        emit(enc::addi(kTmp, 0, 0x100));
        emit(enc::i_type(csr::mstatus, kTmp, mode_ == LowMode::S ? 2 : 3, 0, 0x73));  // SPP
        set_return_address(csr::sepc);
        emit(0x1020'0073);  // sret
    }

    Rng rng_;
    GeneratorOptions opts_;
    Program p_;
    LowMode mode_;
    bool paging_;
    uint32_t unit_ = 0;
    std::vector<bool> unit_starts_;
    std::vector<bool> exact_target_;  // by body index: a forward target resolve_targets() leaves alone
};

}  // namespace

Program generate(uint64_t seed, const GeneratorOptions& options) { return Generator(seed, options).run(); }

}  // namespace locklab::rv::difftest
