// IOThread: a named thread running its own AioContext until stopped (QEMU's `-object
// iothread,id=io0`), and the registry the command line creates them in.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "loop/aio_context.h"

namespace locklab {

// The body of every event-loop thread: poll `ctx` until `stop` is true (the caller must be, or
// become, its home thread). In ContextLocking::ContextLock mode it holds the context lock while
// polling and lets it go after a poll that made no progress (a waiter's contention callback
// notifies it) or that left waiters queued: QEMU 2.0's iothread_run, plus the waiter check so a
// context that always has work cannot starve them. Whoever sets `stop` must notify ctx.
void run_loop(AioContext& ctx, const std::atomic<bool>& stop);

class IOThread {
public:
    // Starts the thread; on return it is the context's home thread. Throws std::invalid_argument
    // for an id that is not well formed (a letter, then letters, digits, '-', '.', '_').
    explicit IOThread(std::string id, ContextLocking locking = ContextLocking::HomeThread);
    ~IOThread();  // stop()
    IOThread(const IOThread&) = delete;
    IOThread& operator=(const IOThread&) = delete;

    const std::string& id() const { return id_; }
    AioContext& context() { return ctx_; }
    std::thread::id thread_id() const { return thread_id_; }

    // Any thread but its own (std::logic_error there): ends the loop and joins. Idempotent.
    void stop();

private:
    const std::string id_;          // immutable
    AioContext ctx_;                // polled by the thread only; the rest is thread-safe
    std::atomic<bool> stop_{false}; // set by stop(), read by the loop
    std::thread::id thread_id_;     // written before the constructor returns, then immutable
    std::thread thread_;            // joined under stop_mutex_
    std::mutex stop_mutex_;         // serialises stop() callers; protects attached_
    std::condition_variable attached_cv_;
    bool attached_ = false;         // protected by stop_mutex_: the thread is the home thread
};

// IOThreads by id. Thread-safe.
class IOThreadRegistry {
public:
    IOThreadRegistry() = default;
    ~IOThreadRegistry();  // stops every IOThread
    IOThreadRegistry(const IOThreadRegistry&) = delete;
    IOThreadRegistry& operator=(const IOThreadRegistry&) = delete;

    // Throws std::invalid_argument if the id is malformed or already taken.
    IOThread& create(const std::string& id, ContextLocking locking = ContextLocking::HomeThread);
    IOThread* find(const std::string& id);  // nullptr if none
    bool destroy(const std::string& id);    // stops and joins it; false if there was none
    void destroy_all();
    std::vector<std::string> ids() const;   // sorted

private:
    mutable std::mutex m_;
    std::map<std::string, std::unique_ptr<IOThread>> threads_;  // protected by m_
};

IOThreadRegistry& iothreads();  // the process-wide registry (the CLI's -object iothread,id=...)

}  // namespace locklab
