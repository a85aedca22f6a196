// The lock-class registry and the hooks of lock_class.h, which fan out to whichever instrumentation
// features are on (instrumentation.h).
#include "locking/lock_class.h"

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "locking/instrumentation.h"

namespace locklab {
namespace {

struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct Registry {
    std::mutex mutex;  // serializes class creation
    std::unordered_map<std::string, std::unique_ptr<LockClass>, StringHash, std::equal_to<>>
        by_name;                                              // protected by mutex
    std::array<std::atomic<LockClass*>, LockClass::kMax> by_id{};  // written once each under mutex
    std::atomic<unsigned> count{0};  // release-published after by_id[count] is written
};

// Never destroyed: locks in static objects may be used while the process exits.
Registry& registry()
{
    static Registry* r = new Registry;
    return *r;
}

}  // namespace

LockClass& LockClass::get(std::string_view name)
{
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    if (auto it = r.by_name.find(name); it != r.by_name.end()) return *it->second;
    const unsigned id = r.count.load(std::memory_order_relaxed);
    if (id >= kMax)
        throw std::length_error("too many lock classes (limit " + std::to_string(kMax) + ") creating \"" +
                                std::string(name) + "\": classes are per kind of lock, not per instance");
    auto c = std::make_unique<LockClass>(std::string(name), id);
    LockClass& ref = *c;
    r.by_name.emplace(ref.name(), std::move(c));
    r.by_id[id].store(&ref, std::memory_order_relaxed);
    r.count.store(id + 1, std::memory_order_release);
    return ref;
}

unsigned LockClass::count() { return registry().count.load(std::memory_order_acquire); }

LockClass& LockClass::by_id(unsigned id)
{
    Registry& r = registry();
    if (id >= r.count.load(std::memory_order_acquire))
        throw std::out_of_range("no lock class with id " + std::to_string(id));
    return *r.by_id[id].load(std::memory_order_relaxed);
}

void lockstat_acquired(LockClass& c, uint64_t wait_ns, bool contended, const std::source_location& site)
{
    const unsigned f = instrumentation_features();
    if (!f) return;
    if (f & kFeatureLockdep) detail::lockdep_acquired(c);
    if (f & kFeatureStats) detail::stats_acquired(c, wait_ns, contended, site);
    if (f & kFeatureTrace) detail::trace_lock_acquired(c, wait_ns, contended);
}

void lockstat_released(LockClass& c, uint64_t hold_ns)
{
    const unsigned f = instrumentation_features();
    if (!f) return;
    if ((f & kFeatureStats) && hold_ns != kHoldNotTimed) detail::stats_released(c, hold_ns);
    if (f & kFeatureTrace) detail::trace_lock_released(c, hold_ns == kHoldNotTimed ? 0 : hold_ns);
}

void set_lock_hold_sample_period(unsigned n)
{
    if (n == 0) throw std::invalid_argument("lock statistics: the hold sample period must be at least 1");
    detail::g_hold_sample_period.store(n, std::memory_order_relaxed);
}

void lockstat_try_failed(LockClass& c)
{
    const unsigned f = instrumentation_features();
    if (!f) return;
    if (f & kFeatureLockdep) detail::lockdep_try_failed(c);
    if (f & kFeatureStats) detail::stats_try_failed(c);
}

void lockdep_acquire(LockClass& c, const std::source_location& site)
{
    if (instrumentation_features() & kFeatureLockdep) detail::lockdep_acquire(c, site, false);
}

void lockdep_try_acquire(LockClass& c, const std::source_location& site)
{
    if (instrumentation_features() & kFeatureLockdep) detail::lockdep_acquire(c, site, true);
}

void lockdep_release(LockClass& c)
{
    if (instrumentation_features() & kFeatureLockdep) detail::lockdep_release(c);
}

}  // namespace locklab
