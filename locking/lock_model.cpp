// The lock-model front: enter()/run_async() resolve a device's own model, the active model, the
// table of models by name, and the per-device overrides. The models are lock_model_*.cpp.
//
// Models are never freed once they are set (active or override): work they deferred (a
// trylock-notify waiter, a retry) calls back into them later, possibly after a newer model was set.
#include "locking/lock_model.h"

#include <atomic>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <string>

#include "locking/lock_model_common.h"

namespace locklab {

AsyncOutcome LockModel::run_async(LockDomain& d, AsyncWork work, const AsyncExecutor& ex,
                                  const std::source_location& site)
{
    return (d.model ? *d.model : *this).do_run_async(d, work, ex, site);
}

LockHold LockModel::do_enter(LockDomain& d, const std::source_location&) { return enter(d); }

AsyncOutcome LockModel::do_run_async(LockDomain& d, AsyncWork& work, const AsyncExecutor& ex,
                                     const std::source_location& site)
{
    LockHold hold = do_enter(d, site);
    if (hold.refused()) {
        ex.post(detail::retry_later(*this, d, work, ex, site));
        return AsyncOutcome::Posted;
    }
    work();
    return AsyncOutcome::Ran;
}

namespace {

struct ModelFactory {
    std::string_view name;
    std::unique_ptr<LockModel> (*make)();
};
// The one list of lock models: make_lock_model() and lock_model_names() both read it.
constexpr ModelFactory kModels[] = {
    {"global", []() -> std::unique_ptr<LockModel> { return std::make_unique<GlobalLockModel>(); }},
    {"per-device", []() -> std::unique_ptr<LockModel> { return std::make_unique<PerDeviceLockModel>(); }},
    {"trylock-skip",
     []() -> std::unique_ptr<LockModel> { return std::make_unique<TrylockLockModel>(TrylockLockModel::WhenBusy::Skip); }},
    {"trylock-queue",
     []() -> std::unique_ptr<LockModel> { return std::make_unique<TrylockLockModel>(TrylockLockModel::WhenBusy::Queue); }},
    {"trylock-notify",
     []() -> std::unique_ptr<LockModel> { return std::make_unique<TrylockLockModel>(TrylockLockModel::WhenBusy::Notify); }},
};

// Every model ever set, active or override; never freed (see the top of this file).
struct Models {
    std::mutex mutex;                            // protects kept and overrides
    std::deque<std::unique_ptr<LockModel>> kept; // protected by mutex
    struct Override {
        std::string type;
        LockModel* model;
        std::atomic<unsigned>* matches;  // points into kept_counts (stable: a deque)
    };
    std::vector<Override> overrides;               // protected by mutex
    std::deque<std::atomic<unsigned>> kept_counts; // protected by mutex (the counters are atomic)
    // Written at start-up (set_lock_model) only; read by every access.
    std::atomic<LockModel*> active{nullptr};
};

Models& models()
{
    static Models* const m = [] {
        auto* ms = new Models;  // never destroyed: vCPU threads may still use a model at exit
        ms->kept.push_back(std::make_unique<GlobalLockModel>());
        ms->active.store(ms->kept.back().get());
        return ms;
    }();
    return *m;
}

}  // namespace

LockModel& current_lock_model() { return *models().active.load(std::memory_order_acquire); }

void set_lock_model(std::unique_ptr<LockModel> m)
{
    if (!m) throw std::invalid_argument("set_lock_model: no lock model given");
    Models& ms = models();
    std::lock_guard lk(ms.mutex);
    ms.kept.push_back(std::move(m));
    ms.active.store(ms.kept.back().get(), std::memory_order_release);
}

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

bool lock_class_matches(std::string_view lock_class, std::string_view type)
{
    if (type.empty()) return false;
    if (lock_class == type) return true;
    size_t start = 0;
    while (start <= lock_class.size()) {
        const size_t end = lock_class.find_first_of(".-_", start);
        const std::string_view word = lock_class.substr(start, end == std::string_view::npos ? end : end - start);
        if (word == type) return true;
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return false;
}

bool set_device_lock_model(std::string_view type, std::string_view model_name)
{
    auto model = make_lock_model(model_name);
    if (!model || type.empty()) return false;
    Models& ms = models();
    std::lock_guard lk(ms.mutex);
    ms.kept.push_back(std::move(model));
    ms.kept_counts.emplace_back(0);
    ms.overrides.push_back({std::string(type), ms.kept.back().get(), &ms.kept_counts.back()});
    return true;
}

void clear_device_lock_models()
{
    Models& ms = models();
    std::lock_guard lk(ms.mutex);
    ms.overrides.clear();
}

LockModel* device_lock_model_for(std::string_view lock_class)
{
    Models& ms = models();
    std::lock_guard lk(ms.mutex);
    for (const auto& o : ms.overrides) {
        if (!lock_class_matches(lock_class, o.type)) continue;
        o.matches->fetch_add(1, std::memory_order_relaxed);
        return o.model;
    }
    return nullptr;
}

unsigned device_lock_model_matches(std::string_view type)
{
    Models& ms = models();
    std::lock_guard lk(ms.mutex);
    for (const auto& o : ms.overrides)
        if (o.type == type) return o.matches->load(std::memory_order_relaxed);
    return 0;
}

}  // namespace locklab
