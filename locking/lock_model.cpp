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

namespace {
struct ModelFactory {
    std::string_view name;
    std::unique_ptr<LockModel> (*make)();
};
// The one list of lock models: make_lock_model() and lock_model_names() both read it.
constexpr ModelFactory kModels[] = {
    {"global", [] () -> std::unique_ptr<LockModel> { return std::make_unique<GlobalLockModel>(); }},
};
}  // namespace

std::unique_ptr<LockModel> make_lock_model(std::string_view name)
{
    for (const auto& m : kModels)
        if (m.name == name) return m.make();
    return nullptr;
}

std::vector<std::string_view> lock_model_names()
{
    std::vector<std::string_view> names;
    for (const auto& m : kModels) names.push_back(m.name);
    return names;
}

}  // namespace locklab
