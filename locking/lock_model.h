// Lock models: which lock an MMIO access (step 5 of the dispatch path) takes.
//
// Only `global` exists so far; per-device and the trylock family (DESIGN.md's table) plug in here.
#pragma once

#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "locking/lock_domain.h"

namespace locklab {

// What enter() acquired; releases it when destroyed. Movable, so a model can return it.
class LockHold {
public:
    using Release = void (*)(void*);
    LockHold() = default;
    LockHold(Release release, void* what) : release_(release), what_(what) {}
    LockHold(LockHold&& o) noexcept
        : release_(std::exchange(o.release_, nullptr)), what_(o.what_) {}
    LockHold& operator=(LockHold&& o) noexcept
    {
        reset();
        release_ = std::exchange(o.release_, nullptr);
        what_ = o.what_;
        return *this;
    }
    ~LockHold() { reset(); }
    void reset()
    {
        if (release_) std::exchange(release_, nullptr)(what_);
    }

private:
    Release release_ = nullptr;
    void* what_ = nullptr;
};

class LockModel {
public:
    virtual ~LockModel() = default;
    virtual std::string_view name() const = 0;
    // A vCPU's MMIO access to the device described by `d`.
    virtual LockHold enter(LockDomain& d) = 0;
};

// `global`: every access takes the BQL (unless this thread already holds it, like QEMU's
// BQL_LOCK_GUARD, so a handler that DMAs back into MMIO reaches the re-entrancy guard instead of
// deadlocking).
class GlobalLockModel final : public LockModel {
public:
    std::string_view name() const override { return "global"; }
    LockHold enter(LockDomain& d) override;
};

// The active model. Set once at start-up before any vCPU runs; read-only afterwards.
LockModel& current_lock_model();
void set_lock_model(std::unique_ptr<LockModel> m);
std::unique_ptr<LockModel> make_lock_model(std::string_view name);  // nullptr if unknown
// Every name make_lock_model() accepts, in a stable order (tests and experiments iterate over it).
std::vector<std::string_view> lock_model_names();

}  // namespace locklab
