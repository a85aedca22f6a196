#include "cpu/tcg/register_profile.h"

#include <algorithm>
#include <numeric>

namespace locklab::rv::tcg {

RegisterProfile::Uses RegisterProfile::count_uses(const IrBlock& b)
{
    Uses u{};
    std::array<bool, kGuestRegs> read{}, written{};
    for (const IrInsn& i : b.ops) {
        if (i.a.is_temp() && is_global(i.a.temp)) read[i.a.temp] = true;
        if (i.b.is_temp() && is_global(i.b.temp)) read[i.b.temp] = true;
        if (i.c.is_temp() && is_global(i.c.temp)) read[i.c.temp] = true;
        if (i.dst != kNoTemp && is_global(i.dst)) written[i.dst] = true;
    }
    for (size_t r = 1; r < kGuestRegs; ++r) u[r] = uint8_t(read[r]) + uint8_t(written[r]);
    return u;
}

std::optional<PinnedRegs> RegisterProfile::sample(const Uses& u, const PinnedRegs& current)
{
    for (size_t r = 0; r < kGuestRegs; ++r) weight_[r] += u[r];
    if (++samples_ < interval_) return std::nullopt;
    return decide(current);
}

std::optional<PinnedRegs> RegisterProfile::decide(const PinnedRegs& current)
{
    samples_ = 0;
    std::array<uint8_t, kGuestRegs - 1> order{};
    std::iota(order.begin(), order.end(), uint8_t(1));  // x1..x31
    auto in_current = [&](uint8_t r) { return std::find(current.guest.begin(), current.guest.end(), r) != current.guest.end(); };
    // Heaviest first; on equal weight the current choice, then the lower register, stays ahead.
    std::stable_sort(order.begin(), order.end(), [&](uint8_t a, uint8_t b) {
        if (weight_[a] != weight_[b]) return weight_[a] > weight_[b];
        return in_current(a) && !in_current(b);
    });
    uint64_t best = 0, now = 0;
    PinnedRegs next;
    for (size_t k = 0; k < PinnedRegs::kCount; ++k) {
        next.guest[k] = order[k];
        best += weight_[order[k]];
        now += weight_[current.guest[k]];
    }
    for (uint64_t& w : weight_) w /= 2;  // older samples count less at the next decision
    bool same_set = true;
    for (uint8_t r : next.guest) same_set = same_set && in_current(r);
    if (same_set || best * 10 < now * 11 || best == 0) return std::nullopt;
    interval_ = std::min(interval_ * 2, kMaxInterval);
    return next;
}

}  // namespace locklab::rv::tcg
