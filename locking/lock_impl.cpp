#include "locking/lock_impl.h"

#include <atomic>

#include "locking/bql.h"

namespace locklab {
namespace {

constexpr std::string_view kNames[] = {"mutex", "queuing", "spin", "rfifo", "handoff", "adaptive"};  // LockImplKind order

std::atomic<LockImplKind> g_default{LockImplKind::Mutex};  // atomic: set at start-up, read by lock constructors

}  // namespace

std::string_view lock_impl_name(LockImplKind k) { return kNames[size_t(k)]; }

std::optional<LockImplKind> parse_lock_impl(std::string_view name)
{
    for (size_t i = 0; i < std::size(kNames); ++i)
        if (kNames[i] == name) return LockImplKind(i);
    return std::nullopt;
}

std::vector<std::string_view> lock_impl_names() { return {std::begin(kNames), std::end(kNames)}; }

void set_lock_impl(LockImplKind k)
{
    bql_instance().set_impl(k);  // first: it refuses while the BQL is held
    g_default.store(k, std::memory_order_relaxed);
}

LockImplKind current_lock_impl() { return g_default.load(std::memory_order_relaxed); }

void RawLock::reset(LockImplKind k)
{
    switch (k) {
    case LockImplKind::Mutex: impl_.emplace<std::mutex>(); break;
    case LockImplKind::Queuing: impl_.emplace<QueuingLock>(); break;
    case LockImplKind::Spin: impl_.emplace<SpinLock>(); break;
    case LockImplKind::RFifo: impl_.emplace<RFifoLock>(); break;
    case LockImplKind::Handoff: impl_.emplace<HandoffLock>(); break;
    case LockImplKind::Adaptive: impl_.emplace<AdaptiveMutex>(); break;
    }
}

}  // namespace locklab
