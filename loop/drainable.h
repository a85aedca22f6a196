// Drainable: something that submits asynchronous requests in an AioContext (a device, a block
// backend) and can be quiesced: QEMU's bdrv_drained_begin/end plus in-flight accounting, and
// moving it to another AioContext (bdrv_try_change_aio_context) with change notifiers.
//
// Protocol for implementations:
//   - start a request only if !quiesced(), and call inc_in_flight() atomically with that check
//     (under a lock that on_drained_begin() also takes, or in an fd/notifier handler that
//     on_drained_begin() removes: removal waits for a call under way), dec_in_flight() when it
//     completes;
//   - on_drained_begin() stops new submissions from arriving (e.g. detaches the guest's doorbell);
//     on_drained_end() resumes and picks up what queued meanwhile. Both run in the caller's thread.
//
// Who may drain (otherwise DrainError, never a deadlock):
//   - ContextLocking::ContextLock contexts: any thread; it takes the context lock and polls the
//     context itself while waiting (QEMU 2.x);
//   - HomeThread contexts: the context's home thread (polls it), or the main loop's thread, which
//     keeps polling main_context() and is woken by dec_in_flight() (aio_wait_kick).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <stdexcept>

#include "loop/aio_context.h"
#include "loop/context_notifiers.h"

namespace locklab {

class DrainError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

class Drainable {
public:
    Drainable(std::string name, AioContext& ctx);
    virtual ~Drainable() = default;
    Drainable(const Drainable&) = delete;
    Drainable& operator=(const Drainable&) = delete;

    const std::string& drain_name() const { return name_; }
    AioContext& aio_context() const { return *ctx_.load(); }

    void inc_in_flight() { in_flight_.fetch_add(1); }
    void dec_in_flight();  // any thread; kicks drain waiters when it reaches zero
    uint64_t in_flight() const { return in_flight_.load(); }
    bool quiesced() const { return quiesce_depth_.load() > 0; }

    void drained_begin();  // quiesce (hook on the outermost begin), then wait for in_flight() == 0
    void drained_end();    // resume (hook on the outermost end); never waits

    // Drain, tell users to detach from the old context, switch, tell them to attach to the new
    // one, undrain. Same callers as drained_begin(); moving to the current context does nothing.
    void move_to_context(AioContext& to);
    AioContextNotifiers& context_notifiers() { return notifiers_; }

protected:
    virtual void on_drained_begin() {}
    virtual void on_drained_end() {}

private:
    enum class Waiter { LockedContext, HomeThread, MainLoop };
    Waiter check_caller(const char* what) const;
    void begin(Waiter how);
    void end();

    const std::string name_;                // immutable
    std::atomic<AioContext*> ctx_;          // atomic; changed only by move_to_context while drained
    std::atomic<uint64_t> in_flight_{0};    // seq_cst (pairs with aio_wait_while's registration)
    std::atomic<int> quiesce_depth_{0};     // changed under hooks_mutex_; read anywhere
    std::mutex hooks_mutex_;                // serialises depth changes with their hooks
    AioContextNotifiers notifiers_;         // thread-safe
};

// RAII drained section.
class DrainedSection {
public:
    explicit DrainedSection(Drainable& d) : d_(d) { d_.drained_begin(); }
    ~DrainedSection() { d_.drained_end(); }
    DrainedSection(const DrainedSection&) = delete;
    DrainedSection& operator=(const DrainedSection&) = delete;

private:
    Drainable& d_;
};

}  // namespace locklab
