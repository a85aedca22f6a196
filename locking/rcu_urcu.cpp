// RCU on liburcu's memb flavour.
#define _LGPL_SOURCE 1
#include <urcu/urcu-memb.h>

#include "locking/rcu.h"

#include <cassert>
#include <memory>

#include "locking/bql.h"
#include "locking/rcu_reader_kicks.h"

namespace locklab {
namespace {

struct ThreadRegistration {
    bool registered_here = false;  // home thread only: we registered it, so we unregister it
    ~ThreadRegistration()
    {
        if (registered_here) urcu_memb_unregister_thread();
    }
};
thread_local ThreadRegistration t_reg;  // touched only when the thread registers (it has a destructor,
                                        // so each use goes through the TLS wrapper)

inline void ensure_registered()
{
    // Ask liburcu, not only our own flag: its call_rcu worker registers itself, and our callbacks
    // running there may enter read sections; registering a thread twice corrupts the registry.
    if (!URCU_TLS(urcu_memb_reader).registered) [[unlikely]] {
        urcu_memb_register_thread();
        t_reg.registered_here = true;
    }
}

struct Deferred {
    rcu_head head;  // must stay the first member: liburcu hands back this pointer
    std::function<void()> fn;
};

void run_deferred(rcu_head* h)
{
    std::unique_ptr<Deferred> d(reinterpret_cast<Deferred*>(h));
    d->fn();
}

}  // namespace

namespace detail {
void rcu_read_lock_outermost()
{
    ensure_registered();
    urcu_memb_read_lock();
}
void rcu_read_unlock_outermost() { urcu_memb_read_unlock(); }
}  // namespace detail

void rcu_synchronize()
{
    assert(!rcu_read_locked() && "rcu_synchronize inside a read section would wait for itself");
    detail::ExpeditedGracePeriod kicking;  // long readers are kicked out of their sections meanwhile
    urcu_memb_synchronize_rcu();
}

void rcu_call(std::function<void()> fn)
{
    ensure_registered();
    auto* d = new Deferred{{}, std::move(fn)};
    urcu_memb_call_rcu(&d->head, run_deferred);
}

void rcu_barrier()
{
    assert(!rcu_read_locked() && "rcu_barrier inside a read section would wait for itself");
    ensure_registered();
    BqlUnlockGuard unlocked;  // callbacks, and readers we wait for, may need the BQL (rcu.h)
    urcu_memb_barrier();
}

void rcu_quiescent() {}

}  // namespace locklab
