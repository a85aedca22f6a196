#include "locking/lock_model.h"

#include <stdexcept>

#include "locking/bql.h"

namespace locklab {

LockHold GlobalLockModel::enter(LockDomain&)
{
    if (bql_locked()) return {};
    bql_lock();
    return LockHold([](void*) { bql_unlock(); }, nullptr);
}

namespace {
std::unique_ptr<LockModel>& active()  // written at start-up only, before vCPU threads exist
{
    static std::unique_ptr<LockModel> m = std::make_unique<GlobalLockModel>();
    return m;
}
}  // namespace

LockModel& current_lock_model() { return *active(); }
void set_lock_model(std::unique_ptr<LockModel> m)
{
    if (!m) throw std::invalid_argument("set_lock_model: no lock model given");
    active() = std::move(m);
}

std::unique_ptr<LockModel> make_lock_model(std::string_view name)
{
    if (name == "global") return std::make_unique<GlobalLockModel>();
    return nullptr;
}

}  // namespace locklab
