// The CSR file of a hart: the Zicsr instructions, the privilege rules for CSR access and each
// CSR's WARL behaviour. Reference: RISC-V privileged spec v1.12; where it leaves a choice, QEMU 7.2.
//
// What is implemented, and what is not:
// - PMP is not implemented (zero entries): pmpcfg0..14 (even numbers only, RV64) and
//   pmpaddr0..63 exist so that firmware which programs them runs, but they read 0, ignore writes,
//   and no access is ever checked against PMP.
// - hpmcounter3..31, mhpmcounter3..31 and mhpmevent3..31 read 0 and ignore writes (no events).
// - cycle/mcycle count retired instructions like instret/minstret (cpu/counters.h); `time` reads
//   Hart::time_source (mtime, 10 MHz) and is an illegal instruction when the board wired none.
//   U/S access to cycle, time, instret and hpmcounterN is gated by mcounteren (and scounteren for
//   U), as QEMU does; mcountinhibit implements CY and IR.
// - No F, D, V, H, debug triggers, Sstc, Svpbmt, Zicbo*: FS/XS/VS read 0, their CSRs (fcsr,
//   tselect, stimecmp, ...) are illegal instructions; menvcfg/senvcfg only keep FIOM.
// - mip.SEIP is one bit shared by software writes and the interrupt controller's line (as in
//   QEMU 7.2): a later change of the line overrides what software wrote.
// - misa is read-only (RV64 ACIMSU); satp accepts MODE Bare and Sv39 and ignores any other write.
#include "cpu/counters.h"
#include "cpu/csr_defs.h"
#include "cpu/mode_switch.h"
#include "cpu/privileged.h"

namespace locklab::rv {
namespace {

constexpr uint64_t ext(char letter) { return bit(unsigned(letter - 'A')); }
constexpr uint64_t kMisa = (uint64_t(2) << 62) | ext('A') | ext('C') | ext('I') | ext('M') | ext('S') | ext('U');

constexpr uint64_t kSstatusVisible = MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_UBE | MSTATUS_SPP | MSTATUS_VS |
                                     MSTATUS_FS | MSTATUS_XS | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_UXL |
                                     MSTATUS_SD;
constexpr uint64_t kSstatusWritable = MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR;

constexpr uint64_t exception_bit(Exception e) { return bit(unsigned(e)); }
// Every exception this hart raises may be delegated, except an ecall from M-mode (read-only 0).
constexpr uint64_t kDelegableExceptions =
    exception_bit(Exception::InsnMisaligned) | exception_bit(Exception::InsnAccessFault) |
    exception_bit(Exception::IllegalInsn) | exception_bit(Exception::Breakpoint) |
    exception_bit(Exception::LoadMisaligned) | exception_bit(Exception::LoadAccessFault) |
    exception_bit(Exception::StoreMisaligned) | exception_bit(Exception::StoreAccessFault) |
    exception_bit(Exception::EcallU) | exception_bit(Exception::EcallS) |
    exception_bit(Exception::InsnPageFault) | exception_bit(Exception::LoadPageFault) |
    exception_bit(Exception::StorePageFault);

constexpr uint64_t kMipWritable = MIP_SSIP | MIP_STIP | MIP_SEIP;  // the M-interrupt bits come from devices
constexpr uint64_t kCounterenMask = 0xFFFF'FFFF;                     // mcounteren/scounteren are 32-bit
constexpr uint64_t kEnvcfgFiom = bit(0);
constexpr uint64_t kEpcMask = ~uint64_t(1);  // IALIGN = 16: bit 0 always zero

// What a CSR instruction writes: the bits in `mask` take their value from `value` (CSRRW: all bits;
// CSRRS/CSRRC: the bits set in rs1, to one or to zero).
struct CsrWrite {
    uint64_t value;
    uint64_t mask;
    uint64_t applied_to(uint64_t old) const { return (old & ~mask) | (value & mask); }
};

bool in_range(uint16_t n, uint16_t lo, uint16_t hi) { return n >= lo && n <= hi; }

// CSRs that exist but read 0 and ignore writes (no PMP entries, no performance events).
bool is_hardwired_zero(uint16_t n)
{
    return in_range(n, csr::hpmcounter3, csr::hpmcounter31) || in_range(n, csr::mhpmcounter3, csr::mhpmcounter31) ||
           in_range(n, csr::mhpmevent3, csr::mhpmevent31) || (in_range(n, csr::pmpcfg0, csr::pmpcfg15) && n % 2 == 0) ||
           in_range(n, csr::pmpaddr0, csr::pmpaddr63);
}

// U/S access to counter `index` (0 = cycle, 1 = time, 2 = instret, 3.. = hpmcounterN).
bool counter_accessible(const Hart& h, unsigned index)
{
    const uint64_t b = bit(index);
    if (h.priv == Priv::M) return true;
    if (!(h.csr.mcounteren & b)) return false;
    return h.priv == Priv::S || (h.csr.scounteren & b);
}

// Privilege rules of an access by the current mode (existence is checked by read_csr).
bool accessible(const Hart& h, uint16_t n, bool writes)
{
    if (unsigned(h.priv) < csr::min_priv(n)) return false;
    if (writes && csr::is_read_only(n)) return false;
    if (n == csr::satp) return !(h.priv == Priv::S && (h.csr.mstatus & MSTATUS_TVM));
    if (in_range(n, csr::cycle, csr::hpmcounter31)) return counter_accessible(h, n - csr::cycle);
    return true;
}

// Read as M-mode sees it. False if the CSR does not exist. No CSR of this hart has read side effects.
bool read_csr(const Hart& h, uint16_t n, uint64_t& v)
{
    const CsrState& c = h.csr;
    switch (n) {
    case csr::cycle:
    case csr::mcycle: v = counter_read(h, Counter::Cycle); return true;
    case csr::instret:
    case csr::minstret: v = counter_read(h, Counter::Instret); return true;
    case csr::time:
        if (!h.time_source) return false;
        v = h.time_source();
        return true;
    case csr::sstatus: v = c.mstatus & kSstatusVisible; return true;
    case csr::sie: v = c.mie & c.mideleg; return true;
    case csr::stvec: v = c.stvec; return true;
    case csr::scounteren: v = c.scounteren; return true;
    case csr::senvcfg: v = c.senvcfg; return true;
    case csr::sscratch: v = c.sscratch; return true;
    case csr::sepc: v = c.sepc; return true;
    case csr::scause: v = c.scause; return true;
    case csr::stval: v = c.stval; return true;
    case csr::sip: v = h.mip.load(std::memory_order_acquire) & c.mideleg; return true;
    case csr::satp: v = c.satp; return true;
    case csr::mvendorid:
    case csr::marchid:
    case csr::mimpid:
    case csr::mconfigptr: v = 0; return true;
    case csr::mhartid: v = h.hartid; return true;
    case csr::mstatus: v = c.mstatus; return true;
    case csr::misa: v = c.misa; return true;
    case csr::medeleg: v = c.medeleg; return true;
    case csr::mideleg: v = c.mideleg; return true;
    case csr::mie: v = c.mie; return true;
    case csr::mtvec: v = c.mtvec; return true;
    case csr::mcounteren: v = c.mcounteren; return true;
    case csr::menvcfg: v = c.menvcfg; return true;
    case csr::mcountinhibit: v = c.mcountinhibit; return true;
    case csr::mscratch: v = c.mscratch; return true;
    case csr::mepc: v = c.mepc; return true;
    case csr::mcause: v = c.mcause; return true;
    case csr::mtval: v = c.mtval; return true;
    case csr::mip: v = h.mip.load(std::memory_order_acquire); return true;
    default:
        v = 0;
        return is_hardwired_zero(n);
    }
}

// Software's part of mip: only the bits in `writable` change, each with one atomic operation, so
// lines that devices raise or lower meanwhile are never overwritten.
void update_mip(Hart& h, const CsrWrite& w, uint64_t writable)
{
    const uint64_t mask = w.mask & writable;
    if (const uint64_t set = w.value & mask) h.mip.fetch_or(set, std::memory_order_acq_rel);
    if (const uint64_t clear = ~w.value & mask) h.mip.fetch_and(~clear, std::memory_order_acq_rel);
}

void write_tvec(uint64_t& tvec, uint64_t v)
{
    if ((v & TVEC_MODE) <= TVEC_VECTORED) tvec = v;  // modes >= 2 are reserved: the write is ignored
}

void write_satp(Hart& h, uint64_t v)
{
    const uint64_t mode = v >> SATP_MODE_SHIFT;
    if (mode != SATP_MODE_BARE && mode != SATP_MODE_SV39) return;  // unsupported MODE: no effect at all
    h.csr.satp = v;
    h.tlb_flush();
}

// Write an existing, writable CSR whose current value is `old`.
void write_csr(Hart& h, uint16_t n, uint64_t old, const CsrWrite& w)
{
    CsrState& c = h.csr;
    const uint64_t v = w.applied_to(old);
    switch (n) {
    case csr::mcycle: counter_write(h, Counter::Cycle, v); break;
    case csr::minstret: counter_write(h, Counter::Instret, v); break;
    case csr::sstatus: write_mstatus(h, (c.mstatus & ~kSstatusWritable) | (v & kSstatusWritable)); break;
    case csr::sie: c.mie = (c.mie & ~c.mideleg) | (v & c.mideleg); break;
    case csr::stvec: write_tvec(c.stvec, v); break;
    case csr::scounteren: c.scounteren = v & kCounterenMask; break;
    case csr::senvcfg: c.senvcfg = v & kEnvcfgFiom; break;
    case csr::sscratch: c.sscratch = v; break;
    case csr::sepc: c.sepc = v & kEpcMask; break;
    case csr::scause: c.scause = v; break;
    case csr::stval: c.stval = v; break;
    case csr::sip: update_mip(h, w, MIP_SSIP & c.mideleg); break;
    case csr::satp: write_satp(h, v); break;
    case csr::mstatus: write_mstatus(h, v); break;
    case csr::medeleg: c.medeleg = v & kDelegableExceptions; break;
    case csr::mideleg: c.mideleg = v & S_INTERRUPTS; break;
    case csr::mie: c.mie = v & (S_INTERRUPTS | M_INTERRUPTS); break;
    case csr::mtvec: write_tvec(c.mtvec, v); break;
    case csr::mcounteren: c.mcounteren = v & kCounterenMask; break;
    case csr::menvcfg: c.menvcfg = v & kEnvcfgFiom; break;
    case csr::mcountinhibit: counter_write_inhibit(h, v); break;
    case csr::mscratch: c.mscratch = v; break;
    case csr::mepc: c.mepc = v & kEpcMask; break;
    case csr::mcause: c.mcause = v; break;
    case csr::mtval: c.mtval = v; break;
    case csr::mip: update_mip(h, w, kMipWritable); break;
    default: break;  // misa and the hardwired-zero CSRs ignore writes
    }
}

}  // namespace

bool exec_csr(Hart& h, const DecodedInsn& d)
{
    const uint16_t n = uint16_t(d.imm) & 0xFFF;
    const bool imm_form = d.op == Op::CSRRWI || d.op == Op::CSRRSI || d.op == Op::CSRRCI;
    const uint64_t src = imm_form ? d.rs1 : h.x[d.rs1];
    const bool swap = d.op == Op::CSRRW || d.op == Op::CSRRWI;
    const bool set = d.op == Op::CSRRS || d.op == Op::CSRRSI;
    const CsrWrite w = swap ? CsrWrite{src, ~uint64_t(0)} : CsrWrite{set ? ~uint64_t(0) : 0, src};
    // CSRRS/CSRRC with rs1 = x0 (CSRRSI/CSRRCI with uimm = 0) do not write at all, so they may read
    // read-only CSRs. CSRRW with rd = x0 "does not read": unobservable here, as reads have no effects.
    const bool writes = swap || d.rs1 != 0;

    uint64_t old = 0;
    if (!accessible(h, n, writes) || !read_csr(h, n, old)) return h.raise(Exception::IllegalInsn, d.raw);
    if (writes) write_csr(h, n, old, w);
    h.x[d.rd] = old;
    return true;
}

bool csr_read_raw(Hart& h, uint16_t number, uint64_t& value) { return read_csr(h, number, value); }

bool csr_write_raw(Hart& h, uint16_t number, uint64_t value)
{
    uint64_t old = 0;
    if (csr::is_read_only(number) || !read_csr(h, number, old)) return false;
    write_csr(h, number, old, CsrWrite{value, ~uint64_t(0)});
    return true;
}

void reset_csrs(Hart& h)
{
    h.csr = CsrState{};
    h.csr.misa = kMisa;
    h.csr.mstatus = MSTATUS_XL_64;
    counter_reset(h);  // mip is Hart state: Hart::reset clears its software-set bits
}

}  // namespace locklab::rv
