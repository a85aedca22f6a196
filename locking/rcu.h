// Read-copy-update for locklab: the memory map (FlatView) is published under it and old maps and
// unplugged devices are reclaimed after a grace period.
//
// Backed by liburcu's memb flavour (membarrier: read side costs a compiler barrier); TSan builds
// (LOCKLAB_RCU_FALLBACK) use a small counter-based implementation TSan understands.
// Threads are registered automatically on first use and unregistered when they exit.
//
// Rules: a reader may not block for long inside a read section (a vCPU leaves it between run slices);
// rcu_synchronize() and rcu_barrier() must not be called inside a read section (asserted), and
// rcu_barrier() not from an rcu_call callback. A reader may wait for the BQL inside its section
// (snapshot-ref MMIO), so do not wait for a grace period while holding the BQL: rcu_barrier() drops
// it while it waits (like QEMU's drain_call_rcu); rcu_synchronize() does not, so call it without.
// Callbacks run without the BQL; they may enter read sections and call rcu_call().
#pragma once

#include <atomic>
#include <cassert>
#include <functional>

namespace locklab {

namespace detail {
// Home thread only: this thread's read-section nesting, for both implementations. Trivial and
// inline, so a nested section (every MMIO access of a vCPU, which runs inside run()'s section) is
// an increment of a %fs-relative word, without a call.
inline thread_local int t_rcu_depth = 0;
void rcu_read_lock_outermost();    // the implementation's side of entering / leaving the
void rcu_read_unlock_outermost();  // outermost section
}  // namespace detail

inline void rcu_read_lock()
{
    if (detail::t_rcu_depth++ == 0) detail::rcu_read_lock_outermost();
}
inline void rcu_read_unlock()
{
    assert(detail::t_rcu_depth > 0 && "rcu_read_unlock outside a read section");
    if (--detail::t_rcu_depth == 0) detail::rcu_read_unlock_outermost();
}
inline bool rcu_read_locked() { return detail::t_rcu_depth > 0; }  // inside a read section?
void rcu_synchronize();      // wait for a grace period
void rcu_call(std::function<void()> fn);  // run fn after a grace period, on the reclaimer thread
void rcu_barrier();          // wait until every rcu_call queued before it has run (drops the BQL meanwhile)
void rcu_quiescent();        // a point where this thread holds no RCU-protected pointers (no-op for memb)

// Reader kicks: how long readers (a vCPU's run() is one read section) are made to leave their
// section soon (Hart::kick: at the next block boundary), so a grace period is never starved and lasts
// about one block instead of one run() slice. While some rcu_synchronize() waits, a helper thread
// calls every registered kick about every 50 us: kicking once before the wait would not do, since a
// kicked vCPU re-enters run() within microseconds, usually before the grace period has started, and
// that new section would be waited for too. rcu_call's grace periods are not expedited (nothing waits
// for them). A kick runs on that helper thread; it must not block, enter a read section or call back
// into this API. Any thread may add or remove kicks; remove waits until the kick is not running.
int rcu_add_reader_kick(std::function<void()> kick);  // returns an id for rcu_remove_reader_kick
void rcu_remove_reader_kick(int id);

class RcuReadGuard {
public:
    RcuReadGuard() { rcu_read_lock(); }
    ~RcuReadGuard() { rcu_read_unlock(); }
    RcuReadGuard(const RcuReadGuard&) = delete;
    RcuReadGuard& operator=(const RcuReadGuard&) = delete;
};

// An RCU-protected pointer: readers load it inside a read section, the writer publishes a new
// value and frees the old one through rcu_call.
template <class T>
class RcuPointer {
public:
    T* read() const { return p_.load(std::memory_order_acquire); }  // inside a read section
    T* exchange(T* v) { return p_.exchange(v, std::memory_order_acq_rel); }  // writer side
    void publish(T* v) { p_.store(v, std::memory_order_release); }

private:
    std::atomic<T*> p_{nullptr};  // RCU: writers publish with release, readers load with acquire
};

}  // namespace locklab
