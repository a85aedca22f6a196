#include "devices/clint.h"

#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "devices/deadline.h"

namespace locklab {

namespace {
constexpr uint64_t kNsPerSecond = 1'000'000'000;
}

Clint::Clint(uint64_t region_size, uint64_t timebase_hz, AioContext& ctx, std::vector<HartLines> harts)
    : MmioDevice("riscv.aclint.clint", region_size, 4, 8),
      timebase_hz_(timebase_hz),
      ctx_(ctx),
      lines_(std::move(harts)),
      mtimecmp_(lines_.size()),
      msip_(lines_.size()),
      timers_(lines_.size()),
      armed_(lines_.size(), kNeverArmed)
{
    // Its state is under its own lock; it only drives hart lines (lock-free) and arms timers
    // (callable from any thread). The hot device: every hart reads mtime.
    lock_domain().bql_free = true;
    if (timebase_hz_ == 0 || timebase_hz_ > kNsPerSecond)
        throw std::invalid_argument(fmt::format("clint: timebase {} Hz out of range 1..1e9", timebase_hz_));
    if (lines_.empty() || kMsipBase + 4 * lines_.size() > kMtimecmpBase ||
        kMtimecmpBase + 8 * lines_.size() > kMtime || kMtime + 8 > region_size)
        throw std::invalid_argument(
            fmt::format("clint: {} harts do not fit a {:#x}-byte region", lines_.size(), region_size));
}

void Clint::do_realize()
{
    for (unsigned h = 0; h < timers_.size(); ++h) {
        timers_[h] = ctx_.new_timer(ClockType::Virtual, [this, h] { run_async([this, h] { on_timer(h); }); });
        armed_[h] = kNeverArmed;
    }
}

void Clint::on_timer(unsigned hart)
{
    armed_[hart] = kNeverArmed;  // it fired: nothing armed any more
    evaluate_timer(hart);
}

void Clint::do_unrealize()
{
    DeviceLockGuard lock(*this);
    for (auto& t : timers_) t.reset();  // deleting a timer disarms it: no callback after unrealize
}

uint64_t Clint::raw_ticks_at(int64_t ns) const
{
    // ns * hz / 1e9 without overflow (hz <= 1e9)
    const auto n = uint64_t(ns);
    return n / kNsPerSecond * timebase_hz_ + n % kNsPerSecond * timebase_hz_ / kNsPerSecond;
}

void Clint::set_mtime(uint64_t value)
{
    delta_.fetch_add(value - mtime(), std::memory_order_relaxed);
    for (unsigned h = 0; h < lines_.size(); ++h) evaluate_timer(h);  // as QEMU: every hart, at once
}

void Clint::do_reset()
{
    for (unsigned h = 0; h < lines_.size(); ++h) {
        msip_[h] = 0;
        lines_[h].msi.lower();
    }
    // QEMU's reset writes mtime = 0, which compares every mtimecmp (0 at power-on): MTI is pending
    // from the start until the guest programs mtimecmp.
    set_mtime(0);
}

uint64_t Clint::ticks_to_ns_ceil(uint64_t ticks) const
{
    const uint64_t whole = ticks / timebase_hz_, rem = ticks % timebase_hz_;
    if (whole > std::numeric_limits<uint64_t>::max() / kNsPerSecond / 2) return std::numeric_limits<uint64_t>::max();
    return whole * kNsPerSecond + (rem * kNsPerSecond + timebase_hz_ - 1) / timebase_hz_;
}

void Clint::evaluate_timer(unsigned hart)
{
    const uint64_t raw = raw_ticks_at(clock_ns(ClockType::Virtual));
    const uint64_t mtime = raw + delta_.load(std::memory_order_relaxed);
    const uint64_t cmp = mtimecmp_[hart];
    if (mtime >= cmp) {
        if (armed_[hart] != kNeverArmed) timers_[hart]->del();
        armed_[hart] = kNeverArmed;
        lines_[hart].mti.raise();
        return;
    }
    lines_[hart].mti.lower();
    // The first ns at which the timebase reaches raw + (cmp - mtime): rounded up, so the callback
    // never runs before mtime has reached mtimecmp; and a function of mtimecmp (and delta) alone, so
    // rewriting the same mtimecmp finds the timer armed for it already.
    const uint64_t left = cmp - mtime;
    const int64_t deadline = left > std::numeric_limits<uint64_t>::max() - raw
                                 ? kNeverArmed
                                 : deadline_after(0, ticks_to_ns_ceil(raw + left));
    if (deadline >= armed_[hart]) return;  // armed for this deadline or an earlier one (fires early)
    timers_[hart]->mod(deadline);
    armed_[hart] = deadline;
}

Clint::Decoded Clint::decode(hwaddr offset, unsigned size) const
{
    const uint64_t harts = lines_.size();
    if (offset < kMtimecmpBase) {
        if (size != 4) return {Reg::BadSize};  // msip is a 4-byte register (QEMU: a decode error)
        return offset / 4 < harts ? Decoded{Reg::Msip, unsigned(offset / 4)} : Decoded{};
    }
    if (offset < kMtimecmpBase + 8 * harts)
        return {Reg::Mtimecmp, unsigned((offset - kMtimecmpBase) / 8), unsigned(offset % 8)};
    if (offset >= kMtime && offset < kMtime + 8) return {Reg::Mtime, 0, unsigned(offset - kMtime)};
    return {};
}

MemTx Clint::mmio_read(hwaddr offset, unsigned size, uint64_t& value)
{
    const Decoded d = decode(offset, size);
    switch (d.reg) {
    case Reg::Msip: value = msip_[d.hart]; return MemTx::Ok;
    case Reg::Mtimecmp: value = reg_read_part(mtimecmp_[d.hart], d.byte, size); return MemTx::Ok;
    case Reg::Mtime: value = reg_read_part(mtime(), d.byte, size); return MemTx::Ok;
    case Reg::BadSize: return MemTx::AccessError;
    case Reg::Hole: break;
    }
    return reserved_read(offset, value);
}

MemTx Clint::mmio_write(hwaddr offset, unsigned size, uint64_t value)
{
    const Decoded d = decode(offset, size);
    switch (d.reg) {
    case Reg::Msip:
        msip_[d.hart] = value & 1;
        lines_[d.hart].msi.set(value & 1);
        return MemTx::Ok;
    case Reg::Mtimecmp:
        mtimecmp_[d.hart] = reg_write_part(mtimecmp_[d.hart], d.byte, size, value);
        evaluate_timer(d.hart);
        return MemTx::Ok;
    case Reg::Mtime: set_mtime(reg_write_part(mtime(), d.byte, size, value)); return MemTx::Ok;
    case Reg::BadSize: return MemTx::AccessError;
    case Reg::Hole: break;
    }
    return reserved_write(offset);
}

}  // namespace locklab
