// Lock implementations (`--lock-impl`): what the device locks and the BQL are built on.
//
//   mutex    std::mutex (glibc's futex mutex: barging, not fair)
//   queuing  tbb::queuing_mutex (FIFO queue lock; lock_impl_queuing.h)
//   spin     test-and-test-and-set spin lock with backoff (lock_impl_spin.h)
//   rfifo    RFifoLock, the recursive FIFO lock with sleeping waiters (rfifo_lock.h)
//   handoff  barging futex lock that hands over to a waiter past a bound (lock_impl_handoff.h)
//   adaptive glibc's adaptive mutex: spins a bounded while, then sleeps (lock_impl_adaptive.h)
//
// RawLock is one of them, chosen when it is made. It is what InstrumentedLock (instrumented_lock.h)
// wraps; nothing else should lock a RawLock directly, or the statistics and lockdep miss it.
#pragma once

#include <mutex>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "locking/lock_impl_adaptive.h"
#include "locking/lock_impl_handoff.h"
#include "locking/lock_impl_queuing.h"
#include "locking/lock_impl_spin.h"
#include "locking/rfifo_lock.h"

namespace locklab {

enum class LockImplKind { Mutex, Queuing, Spin, RFifo, Handoff, Adaptive };  // the order of RawLock's alternatives

std::string_view lock_impl_name(LockImplKind k);
std::optional<LockImplKind> parse_lock_impl(std::string_view name);
std::vector<std::string_view> lock_impl_names();  // every name parse_lock_impl accepts, in enum order

// The implementation locks made from now on use, and the BQL's (set_lock_impl re-makes the BQL's lock).
// Set at start-up, while no thread holds the BQL; read-only afterwards. Default: mutex. A handoff
// lock takes its bound from set_lock_handoff_bound (lock_impl_handoff.h) when it is made: set that first.
void set_lock_impl(LockImplKind k);
LockImplKind current_lock_impl();

class RawLock {
public:
    explicit RawLock(LockImplKind k) { reset(k); }
    RawLock(const RawLock&) = delete;
    RawLock& operator=(const RawLock&) = delete;

    LockImplKind kind() const { return LockImplKind(impl_.index()); }
    // Replaces the lock by a new one of kind `k`. Only while nobody holds or waits for it.
    void reset(LockImplKind k);

    void lock() { std::visit([](auto& l) { l.lock(); }, impl_); }
    bool try_lock() { return std::visit([](auto& l) { return l.try_lock(); }, impl_); }
    void unlock() { std::visit([](auto& l) { l.unlock(); }, impl_); }

private:
    std::variant<std::mutex, QueuingLock, SpinLock, RFifoLock, HandoffLock, AdaptiveMutex> impl_;
};

}  // namespace locklab
