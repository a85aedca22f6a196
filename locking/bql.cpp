#include "locking/bql.h"

#include <cassert>
#include <mutex>

namespace locklab {
namespace {
std::mutex g_bql;                    // the lock itself
thread_local bool t_bql_held = false; // home thread only: whether this thread holds g_bql
}  // namespace

void bql_lock()
{
    assert(!t_bql_held && "BQL is not recursive");
    g_bql.lock();
    t_bql_held = true;
}

void bql_unlock()
{
    assert(t_bql_held);
    t_bql_held = false;
    g_bql.unlock();
}

bool bql_locked() { return t_bql_held; }

}  // namespace locklab
