#include "locking/lock_impl_handoff.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cassert>
#include <mutex>

namespace locklab {
namespace {

// Looks at the lock word before queueing: long enough to catch a short critical section on another
// core, short against a host scheduling slice (vCPU threads outnumber cores here).
constexpr unsigned kSpins = 64;

// A waiter's signal word (its futex). Set by unlockers, consumed by the waiter.
constexpr uint32_t kSignalWake = 1;     // an unlock woke it to compete
constexpr uint32_t kSignalGranted = 2;  // an unlock made it the owner (it is out of the queue)
constexpr uint32_t kSignalAsleep = 4;   // set by the waiter before it sleeps: a signaller must wake it

std::atomic<int64_t> g_bound_ns{std::chrono::nanoseconds(kDefaultLockHandoffBound).count()};  // atomic: set at start-up

int64_t now_ns()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Raw futex calls rather than std::atomic wait/notify: libstdc++'s wait spins and yields first and
// counts waiters in a table shared by unrelated addresses; here the word is the waiter's own and
// says whether the waiter sleeps (kSignalAsleep), so a signaller makes the syscall only then.
static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) && std::atomic<uint32_t>::is_always_lock_free);

void futex_wait(std::atomic<uint32_t>& word, uint32_t expected)
{
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}

// The woken thread may already have seen its signal, returned and reused the memory: a futex wake
// of such a word is at worst a spurious wake-up for whoever waits there now, which every futex user
// tolerates (this file's waits loop on their signal). So the wake comes after wait_lock_ is let go.
void futex_wake_one(std::atomic<uint32_t>& word)
{
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

}  // namespace

void set_lock_handoff_bound(std::chrono::nanoseconds bound) { g_bound_ns.store(bound.count(), std::memory_order_relaxed); }

std::chrono::nanoseconds lock_handoff_bound() { return std::chrono::nanoseconds(g_bound_ns.load(std::memory_order_relaxed)); }

// One queued thread, linked into the queue from its own stack frame.
struct HandoffLock::Waiter {
    std::atomic<uint32_t> signal{0};  // atomic: kSignal* bits; the futex the waiter sleeps on
    int64_t since_ns = 0;             // the waiter's own: when it queued
    Waiter* prev = nullptr;           // protected by wait_lock_
    Waiter* next = nullptr;           // protected by wait_lock_
};

HandoffLock::HandoffLock(std::chrono::nanoseconds bound, std::chrono::nanoseconds grant_spin)
    : bound_ns_(bound.count()), grant_spin_ns_(grant_spin.count())
{
}

HandoffLock::~HandoffLock() { assert(!head_ && state_.load() == 0); }

unsigned HandoffLock::waiters() const
{
    std::lock_guard g(wait_lock_);
    unsigned n = 0;
    for (const Waiter* w = head_; w; w = w->next) ++n;
    return n;
}

bool HandoffLock::starving(const Waiter& w, int64_t now) const { return now - w.since_ns >= bound_ns_; }

void HandoffLock::lock_slow()
{
    for (unsigned i = 0; i < kSpins; ++i) {
        uint32_t s = state_.load(std::memory_order_relaxed);
        if (!(s & kLocked)) {
            if (state_.compare_exchange_weak(s, s | kLocked, std::memory_order_acquire, std::memory_order_relaxed))
                return;
            continue;
        }
        if (s & kHandoff) break;  // promised to a queued waiter: spinning cannot win it
        cpu_pause();
    }
    Waiter w;
    w.since_ns = now_ns();
    enqueue(w);
    // kWaiters is set now, so an unlock after the look below cannot miss us: it sees kWaiters and
    // wakes the oldest waiter not woken yet (or hands over). If that is not us, it is one ahead of
    // us that will look at the lock, take it or see it held, and the unlocks that follow wake us.
    for (;;) {
        // seq_cst with the exchange in await_signal against the release and the scan in wake_one:
        // a waiter that consumed a wake-up and then sees the lock held, and the holder's release
        // and its look at the waiter's signal, cannot both miss each other (else the release skips
        // the waiter as already woken, and it sleeps with nobody left to wake it).
        uint32_t s = state_.load(std::memory_order_seq_cst);
        if (!(s & kLocked)) {
            if (state_.compare_exchange_weak(s, s | kLocked, std::memory_order_acquire, std::memory_order_relaxed)) {
                leave(w);
                return;
            }
            continue;
        }
        if (!(s & kHandoff) && starving(w, now_ns())) {
            bool asked = false;
            {
                std::lock_guard g(wait_lock_);
                // Only the head asks: it is the oldest waiter, and it cannot leave the queue before
                // the hand-over it asked for or its withdrawal (nobody can take the lock meanwhile).
                if (head_ == &w) {
                    if (!state_.compare_exchange_strong(s, s | kHandoff, std::memory_order_relaxed,
                                                        std::memory_order_relaxed))
                        continue;  // the lock word moved (perhaps released): look again
                    asked = true;
                }
            }
            if (asked) await_grant(w);  // granted, or withdrawn and asleep below until an unlock wakes us
        }
        const uint32_t sig = await_signal(w);
        if (sig & kSignalGranted) return;  // hand_over() made us the owner and took us out of the queue
    }
}

void HandoffLock::await_grant(Waiter& w)
{
    const int64_t until = now_ns() + grant_spin_ns_;
    // A wake-up that comes meanwhile stays in w.signal for await_signal.
    for (unsigned i = 1; !(w.signal.load(std::memory_order_relaxed) & kSignalGranted); ++i) {
        if (i % 16 == 0 && now_ns() >= until) {
            std::lock_guard g(wait_lock_);
            if (head_ == &w) {  // no hand-over has begun (it would have taken us out): withdraw
                state_.fetch_and(~kHandoff, std::memory_order_relaxed);
                withdrawals_.fetch_add(1, std::memory_order_relaxed);
            }
            return;  // otherwise the grant is on its way
        }
        cpu_pause();
    }
}

uint32_t HandoffLock::await_signal(Waiter& w)
{
    uint32_t sig = w.signal.load(std::memory_order_relaxed);
    for (;;) {
        if (sig & ~kSignalAsleep) return w.signal.exchange(0, std::memory_order_seq_cst) & ~kSignalAsleep;
        if (!(sig & kSignalAsleep) &&
            !w.signal.compare_exchange_weak(sig, kSignalAsleep, std::memory_order_relaxed, std::memory_order_relaxed))
            continue;  // a signal came in meanwhile
        futex_wait(w.signal, kSignalAsleep);
        sig = w.signal.load(std::memory_order_relaxed);
    }
}

bool HandoffLock::post(Waiter& w, uint32_t bit)
{
    wakeups_.fetch_add(1, std::memory_order_relaxed);
    return w.signal.fetch_or(bit, std::memory_order_release) & kSignalAsleep;
}

void HandoffLock::unlock_slow()
{
    uint32_t s = state_.load(std::memory_order_relaxed);
    for (;;) {
        if (s & kHandoff) {
            if (hand_over()) return;
            s = state_.load(std::memory_order_relaxed);  // the waiter withdrew: release as usual
            continue;
        }
        if (state_.compare_exchange_weak(s, s & ~kLocked, std::memory_order_seq_cst, std::memory_order_relaxed)) {
            if (s & kWaiters) wake_one();
            return;
        }
    }
}

void HandoffLock::enqueue(Waiter& w)
{
    std::lock_guard g(wait_lock_);
    w.prev = tail_;
    (tail_ ? tail_->next : head_) = &w;
    tail_ = &w;
    state_.fetch_or(kWaiters, std::memory_order_relaxed);
}

void HandoffLock::leave(Waiter& w)
{
    std::lock_guard g(wait_lock_);
    (w.prev ? w.prev->next : head_) = w.next;
    (w.next ? w.next->prev : tail_) = w.prev;
    if (!head_) state_.fetch_and(~kWaiters, std::memory_order_relaxed);
    assert(!(w.signal.load(std::memory_order_relaxed) & kSignalGranted));  // a hand-over never frees the lock
}

void HandoffLock::wake_one()
{
    std::atomic<uint32_t>* asleep = nullptr;
    {
        std::lock_guard g(wait_lock_);
        // The oldest waiter with no wake-up pending: one already woken will look at the lock anyway,
        // and waking the head over and over while it waits for a CPU would leave the others asleep
        // (a waiter far back would wait for one scheduling delay per waiter ahead of it).
        Waiter* w = head_;
        while (w && (w->signal.load(std::memory_order_seq_cst) & kSignalWake)) w = w->next;  // seq_cst: see lock_slow
        if (!w) return;  // nobody left, or all already woken
        if (post(*w, kSignalWake)) asleep = &w->signal;  // under wait_lock_: w is still queued
    }
    if (asleep) futex_wake_one(*asleep);
}

bool HandoffLock::hand_over()
{
    Waiter* w;
    {
        std::lock_guard g(wait_lock_);
        if (!(state_.load(std::memory_order_relaxed) & kHandoff)) return false;  // withdrawn meanwhile
        // The head set kHandoff, and it leaves the queue only by taking a lock that is free, which
        // it has not been since, or by withdrawing (under wait_lock_, clearing kHandoff).
        w = head_;
        assert(w);
        head_ = w->next;
        (head_ ? head_->prev : tail_) = nullptr;
        // LOCKED stays: ownership passes to w. The next head asks for itself when it runs.
        state_.fetch_and(~(kHandoff | (head_ ? 0 : kWaiters)), std::memory_order_relaxed);
    }
    handoffs_.fetch_add(1, std::memory_order_relaxed);
    // Out of the queue, w waits for this and nothing else touches it. Granted last: from here on
    // the new owner may unlock and even destroy the lock, so this object is not touched again. The
    // release passes the critical section's writes on with the lock.
    if (post(*w, kSignalGranted)) futex_wake_one(w->signal);
    return true;
}

}  // namespace locklab
