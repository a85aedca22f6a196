#include "devices/plic.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "locking/site_lock_guard.h"

namespace locklab {

Plic::Plic(uint64_t region_size, unsigned num_sources, unsigned priority_bits,
           std::vector<IrqLine> context_lines)
    : MmioDevice("sifive_plic", region_size, 4, 4),
      num_sources_(num_sources),
      words_((num_sources + 31) / 32),
      priority_mask_((1u << priority_bits) - 1),
      priority_(num_sources),
      pending_(words_),
      claimed_(words_),
      enable_(words_ * context_lines.size()),
      threshold_(context_lines.size()),
      output_level_(context_lines.size()),
      outputs_(std::move(context_lines))
{
    lock_domain().bql_free = true;  // its state is under mutex_, a leaf; outputs go to lock-free harts
    if (num_sources < 2 || num_sources > 1024 || priority_bits < 1 || priority_bits > 31)
        throw std::invalid_argument(fmt::format("plic: {} sources / {} priority bits out of range",
                                                num_sources, priority_bits));
    if (kContextBase + kContextStride * outputs_.size() > region_size ||
        kEnableBase + kEnableStride * outputs_.size() > kContextBase)
        throw std::invalid_argument(fmt::format("plic: {} contexts do not fit a {:#x}-byte region",
                                                outputs_.size(), region_size));
}

void Plic::do_reset()
{
    SiteLockGuard lk(mutex_);
    for (auto* v : {&priority_, &pending_, &claimed_, &enable_, &threshold_}) std::fill(v->begin(), v->end(), 0);
    update_outputs();
}

void Plic::set_bit(std::vector<uint32_t>& words, unsigned i, bool v)
{
    const uint32_t m = uint32_t(1) << (i % 32);
    words[i / 32] = v ? words[i / 32] | m : words[i / 32] & ~m;
}

void Plic::set_irq(unsigned source, bool level)
{
    if (source == 0 || source >= num_sources_) return;  // wiring error: no such input
    if (!level) return;  // a low level leaves pending alone (QEMU's sifive_plic)
    SiteLockGuard lk(mutex_);
    set_bit(pending_, source, true);
    update_outputs();
}

Plic::Decoded Plic::decode(hwaddr offset) const
{
    const auto nctx = num_contexts();
    if (offset < kPendingBase)
        return offset / 4 < num_sources_ ? Decoded{Reg::Priority, unsigned(offset / 4)} : Decoded{};
    if (offset < kEnableBase)
        return (offset - kPendingBase) / 4 < words_ ? Decoded{Reg::Pending, unsigned((offset - kPendingBase) / 4)}
                                                    : Decoded{};
    if (offset < kContextBase) {
        const uint64_t ctx = (offset - kEnableBase) / kEnableStride;
        const uint64_t word = (offset - kEnableBase) % kEnableStride / 4;
        return ctx < nctx && word < words_ ? Decoded{Reg::Enable, unsigned(ctx), unsigned(word)} : Decoded{};
    }
    const uint64_t ctx = (offset - kContextBase) / kContextStride;
    if (ctx >= nctx) return {};
    switch ((offset - kContextBase) % kContextStride) {
    case kThreshold: return {Reg::Threshold, unsigned(ctx)};
    case kClaimComplete: return {Reg::ClaimComplete, unsigned(ctx)};
    default: return {};
    }
}

// Guest errors are logged before mutex_ is taken: it is a leaf lock.
MemTx Plic::mmio_read(hwaddr offset, unsigned, uint64_t& value)
{
    const Decoded d = decode(offset);
    if (d.reg == Reg::Hole) return reserved_read(offset, value);
    SiteLockGuard lk(mutex_);
    switch (d.reg) {
    case Reg::Priority: value = priority_[d.index]; break;
    case Reg::Pending: value = pending_[d.index]; break;
    case Reg::Enable: value = enable_[d.index * words_ + d.word]; break;
    case Reg::Threshold: value = threshold_[d.index]; break;
    case Reg::ClaimComplete: value = claim(d.index); break;
    case Reg::Hole: break;
    }
    return MemTx::Ok;
}

MemTx Plic::mmio_write(hwaddr offset, unsigned, uint64_t value)
{
    const Decoded d = decode(offset);
    const auto v = uint32_t(value);
    if (d.reg == Reg::Hole || d.reg == Reg::Pending) return reserved_write(offset);  // pending: read-only
    if (d.reg == Reg::ClaimComplete && v >= num_sources_) {
        guest_error("completion of a source that does not exist (ignored)", offset);
        return MemTx::Ok;
    }
    SiteLockGuard lk(mutex_);
    switch (d.reg) {
    case Reg::Priority:
        if (d.index != 0) priority_[d.index] = v & priority_mask_;  // source 0 does not exist
        break;
    case Reg::Enable: enable_[d.index * words_ + d.word] = d.word == 0 ? v & ~1u : v; break;
    case Reg::Threshold: threshold_[d.index] = v & priority_mask_; break;
    case Reg::ClaimComplete: set_bit(claimed_, v, false); break;
    case Reg::Pending:
    case Reg::Hole: break;
    }
    update_outputs();
    return MemTx::Ok;
}

unsigned Plic::best_claimable(unsigned ctx) const
{
    unsigned best = 0;
    uint32_t best_priority = threshold_[ctx];  // a source must beat the threshold, then the best so far
    for (unsigned w = 0; w < words_; ++w) {
        uint32_t candidates = pending_[w] & ~claimed_[w] & enable_[ctx * words_ + w];
        for (; candidates; candidates &= candidates - 1) {
            const unsigned source = w * 32 + unsigned(__builtin_ctz(candidates));
            if (source < num_sources_ && priority_[source] > best_priority) {
                best = source;
                best_priority = priority_[source];
            }
        }
    }
    return best;
}

unsigned Plic::claim(unsigned ctx)
{
    const unsigned source = best_claimable(ctx);
    if (source != 0) {
        set_bit(pending_, source, false);
        set_bit(claimed_, source, true);
        update_outputs();
    }
    return source;
}

void Plic::update_outputs()
{
    for (unsigned ctx = 0; ctx < num_contexts(); ++ctx) {
        const bool level = best_claimable(ctx) != 0;
        if (level == output_level_[ctx]) continue;
        output_level_[ctx] = level;
        outputs_[ctx].set(level);  // hart sinks are lock-free: legal under this leaf mutex
    }
}

}  // namespace locklab
