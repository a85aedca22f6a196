// RCU on liburcu's memb flavour.
#define _LGPL_SOURCE 1
#include <urcu/urcu-memb.h>

#include "locking/rcu.h"

#include <memory>

namespace locklab {
namespace {

struct ThreadRegistration {
    bool registered = false;  // home thread only
    int depth = 0;            // home thread only: read-section nesting
    ~ThreadRegistration()
    {
        if (registered) urcu_memb_unregister_thread();
    }
};
thread_local ThreadRegistration t_reg;

inline void ensure_registered()
{
    if (!t_reg.registered) [[unlikely]] {
        urcu_memb_register_thread();
        t_reg.registered = true;
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

void rcu_read_lock()
{
    ensure_registered();
    ++t_reg.depth;
    urcu_memb_read_lock();
}

void rcu_read_unlock()
{
    --t_reg.depth;
    urcu_memb_read_unlock();
}

bool rcu_read_locked() { return t_reg.depth > 0; }

void rcu_synchronize() { urcu_memb_synchronize_rcu(); }

void rcu_call(std::function<void()> fn)
{
    ensure_registered();
    auto* d = new Deferred{{}, std::move(fn)};
    urcu_memb_call_rcu(&d->head, run_deferred);
}

void rcu_barrier()
{
    ensure_registered();
    urcu_memb_barrier();
}

void rcu_quiescent() {}

}  // namespace locklab
