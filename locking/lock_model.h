// Lock models: which lock an MMIO access (step 5 of the dispatch path) takes, and how asynchronous
// device work (timer expiries, fd events, backend completions) gets the same protection
// (DESIGN.md's table):
//
//   model           vCPU access (enter)                 asynchronous work (run_async)
//   global          the BQL                             the BQL
//   per-device      the device's lock if it is          same, waiting for it
//                   bql_free, else the BQL
//   trylock-skip    as per-device                       trylock; busy: Skipped, the caller retries
//                                                       on its next event
//   trylock-queue   as per-device; the release runs     trylock; busy: queued to the lock; the
//                   what others queued                  holder runs it before it releases
//   trylock-notify  as per-device; the release posts    trylock; busy: registered; re-posted to
//                   the registered waiters              the caller's executor once unlocked
//
// ("As per-device": a device that is not bql_free is not safe under its own lock alone, so every
// model protects it with the BQL; only the asynchronous side differs between the trylock models.)
//
// Lock order, by construction: a model takes one lock per access. A device lock may be held while
// the BQL is taken, never the reverse: enter() refuses an access that would take a device lock while
// this thread holds the BQL (LockHold::refusal(); the dispatch path fails it as an access error),
// and run_async() posts such work to the caller's executor instead of waiting there. Re-entrancy: if
// this thread already holds the lock a model would take (a handler that DMAs into its own MMIO),
// enter() returns an empty hold and the device's re-entrancy guard refuses the access; run_async()
// runs the work at once (the caller already has the protection).
//
// Per-device override: `--device-lock TYPE=MODEL` (set_device_lock_model) gives the devices whose
// lock class matches TYPE their own model; a LockDomain resolves it once, at construction.
#pragma once

#include <memory>
#include <source_location>
#include <string_view>
#include <utility>
#include <vector>

#include "locking/async_executor.h"
#include "locking/lock_domain.h"

namespace locklab {

// What enter() acquired; releases it when destroyed. Movable, so a model can return it.
class LockHold {
public:
    using Release = void (*)(void*);
    LockHold() = default;
    LockHold(Release release, void* what) : release_(release), what_(what) {}
    // A hold that took nothing because taking the lock would break the lock order: the access
    // must be refused.
    static LockHold refusal()
    {
        LockHold h;
        h.refused_ = true;
        return h;
    }
    LockHold(LockHold&& o) noexcept
        : release_(std::exchange(o.release_, nullptr)), what_(o.what_), refused_(o.refused_)
    {
    }
    LockHold& operator=(LockHold&& o) noexcept
    {
        reset();
        release_ = std::exchange(o.release_, nullptr);
        what_ = o.what_;
        refused_ = o.refused_;
        return *this;
    }
    ~LockHold() { reset(); }
    void reset()
    {
        if (release_) std::exchange(release_, nullptr)(what_);
    }
    bool refused() const { return refused_; }

private:
    Release release_ = nullptr;
    void* what_ = nullptr;
    bool refused_ = false;
};

// What run_async() did with the work.
enum class AsyncOutcome {
    Ran,      // ran on this thread, under the protection, before run_async returned
    Posted,   // waiting here would break the lock order: posted to the executor, to run there later
    Skipped,  // trylock-skip found the lock busy: not run; the caller retries on its next event
    Queued,   // trylock-queue: handed to the holder, who runs it (exactly once) before releasing
    Waiting,  // trylock-notify: re-posted to the executor once the lock is released
};

class LockModel {
public:
    virtual ~LockModel() = default;
    virtual std::string_view name() const = 0;

    // Step 5 of the dispatch path: a vCPU's MMIO access to the device described by `d`. Takes what
    // the model takes for it (`d.model`'s choice if the device has its own model). The statistics
    // and lockdep see this function as the site; the two-argument form passes the caller's.
    virtual LockHold enter(LockDomain& d) { return enter(d, std::source_location::current()); }
    LockHold enter(LockDomain& d, const std::source_location& site)
    {
        return (d.model ? *d.model : *this).do_enter(d, site);  // inline: every MMIO access calls it
    }

    // Asynchronous work for the device `d`, from an event loop whose executor is `ex`: runs `work`
    // under the same protection as enter(), or defers it as the outcome says. `work` owns what it
    // needs, keeps `d` alive while it exists (MmioDevice's work holds a reference on the device),
    // re-checks its condition when it runs, and does not throw.
    AsyncOutcome run_async(LockDomain& d, AsyncWork work, const AsyncExecutor& ex,
                           const std::source_location& site = std::source_location::current());

protected:
    // What this model takes for `d` (`d`'s own model is already resolved). Models override this;
    // the default calls enter(LockDomain&), for models that override that instead (as models
    // written before the site existed do). A model must override one of the two.
    virtual LockHold do_enter(LockDomain& d, const std::source_location& site);
    // What this model does with asynchronous work. The default waits: it takes what do_enter()
    // takes and runs the work (at once if this thread holds it already); if do_enter() refuses
    // (lock order), it posts a retry to `ex` instead (AsyncOutcome::Posted).
    virtual AsyncOutcome do_run_async(LockDomain& d, AsyncWork& work, const AsyncExecutor& ex,
                                      const std::source_location& site);
};

// `global`: every access takes the BQL (unless this thread already holds it, like QEMU's
// BQL_LOCK_GUARD, so a handler that DMAs back into MMIO reaches the re-entrancy guard instead of
// deadlocking).
class GlobalLockModel final : public LockModel {
public:
    std::string_view name() const override { return "global"; }

protected:
    LockHold do_enter(LockDomain& d, const std::source_location& site) override;
};

// `per-device`: a bql_free device's own lock, else the BQL; asynchronous work waits for it too.
class PerDeviceLockModel final : public LockModel {
public:
    std::string_view name() const override { return "per-device"; }

protected:
    LockHold do_enter(LockDomain& d, const std::source_location& site) override;
};

// `trylock-skip`, `trylock-queue`, `trylock-notify`: per-device's locks; asynchronous work never
// waits for a busy lock.
class TrylockLockModel final : public LockModel {
public:
    enum class WhenBusy { Skip, Queue, Notify };
    explicit TrylockLockModel(WhenBusy when_busy);
    std::string_view name() const override;
    WhenBusy when_busy() const { return when_busy_; }

protected:
    LockHold do_enter(LockDomain& d, const std::source_location& site) override;
    AsyncOutcome do_run_async(LockDomain& d, AsyncWork& work, const AsyncExecutor& ex,
                              const std::source_location& site) override;

private:
    const WhenBusy when_busy_;  // immutable
};

// The active model. Set once at start-up before any vCPU runs; read-only afterwards.
LockModel& current_lock_model();
void set_lock_model(std::unique_ptr<LockModel> m);
std::unique_ptr<LockModel> make_lock_model(std::string_view name);  // nullptr if unknown
// Every name make_lock_model() accepts, in a stable order (tests and experiments iterate over it).
std::vector<std::string_view> lock_model_names();

// --- per-device overrides (`--device-lock TYPE=MODEL`) ------------------------------------------
// Devices made from now on whose lock class matches `type` follow the model `model_name` instead
// of the active one. `type` matches a lock class equal to it, or equal to one of the class's words
// (split at '.', '-', '_'): "clint" matches "riscv.aclint.clint", "plic" matches "sifive_plic". The
// first matching override wins. Returns false (and changes nothing) if the model name is unknown.
// Start-up only, like set_lock_model.
bool set_device_lock_model(std::string_view type, std::string_view model_name);
void clear_device_lock_models();
// The model devices of class `lock_class` follow (nullptr: the active one); counts the match.
LockModel* device_lock_model_for(std::string_view lock_class);
// How many devices made so far matched the override for `type` (0 for an unknown type).
unsigned device_lock_model_matches(std::string_view type);
bool lock_class_matches(std::string_view lock_class, std::string_view type);

// The model that protects `d`: its own, or the active one.
inline LockModel& lock_model_for(LockDomain& d) { return d.model ? *d.model : current_lock_model(); }

}  // namespace locklab
