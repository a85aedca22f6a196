// lockstat_now_ns(): the clock of all lock timing. Statistics read it twice per lock/unlock (as
// lockstat_now_ticks(), converting only the difference), so it is the bulk of their cost: on x86-64 with an invariant TSC (constant rate, synchronised between
// cores) it is the TSC scaled to ns (~3x cheaper than clock_gettime), calibrated against
// steady_clock once, at first use; elsewhere steady_clock itself.
#include "locking/lock_class.h"

#include <chrono>
#include <thread>

#if defined(__x86_64__)
#include <cpuid.h>
#include <x86intrin.h>
#endif

namespace locklab {
namespace {

uint64_t steady_ns()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

#if defined(__x86_64__)

bool invariant_tsc()
{
    unsigned a, b, c, d;
    if (!__get_cpuid(0x80000000, &a, &b, &c, &d) || a < 0x80000007) return false;
    __get_cpuid(0x80000007, &a, &b, &c, &d);
    return d & (1u << 8);  // CPUID.80000007H:EDX[8], "Invariant TSC"
}

// ns = base_ns + (tsc - base_tsc) * ns_per_tick (a double: exact to well below 1 ns for months).
struct TscClock {
    bool usable = false;
    uint64_t base_tsc = 0;
    uint64_t base_ns = 0;
    double ns_per_tick = 0;
    uint64_t ns_per_tick_q32 = 0;  // ns_per_tick * 2^32

    static TscClock calibrate()
    {
        TscClock c;
        if (!invariant_tsc()) return c;
        c.base_ns = steady_ns();
        c.base_tsc = __rdtsc();
        std::this_thread::sleep_for(std::chrono::milliseconds(5));  // ~1e-5 relative error
        const uint64_t ns = steady_ns() - c.base_ns;
        const uint64_t ticks = __rdtsc() - c.base_tsc;
        if (ticks == 0 || ns == 0) return c;
        c.ns_per_tick = double(ns) / double(ticks);
        c.ns_per_tick_q32 = uint64_t(c.ns_per_tick * 0x1p32);
        c.usable = true;
        return c;
    }
    // A difference of readings in ns: a 64x64->128-bit multiply by ns_per_tick in 32.32 fixed
    // point (cheaper than the double conversion of an unsigned 64-bit value).
    uint64_t ticks_to_ns(uint64_t ticks) const
    {
        __extension__ using u128 = unsigned __int128;  // GCC/Clang on x86-64
        return uint64_t((u128(ticks) * ns_per_tick_q32) >> 32);
    }
    uint64_t now() const
    {
        return base_ns + uint64_t(double(__rdtsc() - base_tsc) * ns_per_tick);
    }
};

#endif

#if defined(__x86_64__)
const TscClock& tsc_clock()
{
    static const TscClock tsc = TscClock::calibrate();  // immutable after the first call
    return tsc;
}
#endif

}  // namespace

uint64_t lockstat_now_ns()
{
#if defined(__x86_64__)
    if (const TscClock& tsc = tsc_clock(); tsc.usable) return tsc.now();
#endif
    return steady_ns();
}

uint64_t lockstat_now_ticks()
{
#if defined(__x86_64__)
    if (tsc_clock().usable) return __rdtsc();
#endif
    return steady_ns();
}

uint64_t lockstat_ticks_to_ns(uint64_t ticks)
{
#if defined(__x86_64__)
    if (const TscClock& tsc = tsc_clock(); tsc.usable) return tsc.ticks_to_ns(ticks);
#endif
    return ticks;
}

}  // namespace locklab
