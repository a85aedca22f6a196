#include "locking/lock_model_common.h"

namespace locklab {

LockHold PerDeviceLockModel::do_enter(LockDomain& d, const std::source_location& site)
{
    return detail::hold(detail::device_or_bql(d), site);
}

}  // namespace locklab
