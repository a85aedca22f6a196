#include "locking/lock_domain.h"

#include "locking/lock_model.h"

namespace locklab {

LockDomain::LockDomain(std::string cls)
    : lock_class(std::move(cls)), lock(lock_class), model(device_lock_model_for(lock_class))
{
}

}  // namespace locklab
