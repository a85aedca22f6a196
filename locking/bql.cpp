#include "locking/bql.h"

namespace locklab {

InstrumentedLock& bql_instance()
{
    // Destroyed at exit like any static (freeing its work queue), after every thread that used it
    // was joined: vCPUs and IOThreads are joined before main() returns.
    static InstrumentedLock bql("bql");
    return bql;
}

void bql_lock(const std::source_location& site) { bql_instance().lock(site); }
void bql_unlock() { bql_instance().unlock(); }
bool bql_locked() { return bql_instance().held_by_me(); }

}  // namespace locklab
