#include "locking/lock_model_common.h"

namespace locklab::detail {

AsyncWork retry_later(LockModel& m, LockDomain& d, const AsyncWork& work, const AsyncExecutor& ex,
                      const std::source_location& site)
{
    return [&m, &d, work, ex, site] { m.run_async(d, work, ex, site); };
}

}  // namespace locklab::detail
