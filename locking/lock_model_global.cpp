#include "locking/lock_model_common.h"

namespace locklab {

LockHold GlobalLockModel::do_enter(LockDomain&, const std::source_location& site)
{
    return detail::hold(bql_instance(), site);
}

}  // namespace locklab
