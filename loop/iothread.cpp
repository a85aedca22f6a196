#include "loop/iothread.h"

#include <pthread.h>

#include <cctype>
#include <stdexcept>

namespace locklab {

namespace {
void check_id(const std::string& id)
{
    auto ok_char = [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '.' || c == '_'; };
    bool ok = !id.empty() && std::isalpha(static_cast<unsigned char>(id[0]));
    for (unsigned char c : id) ok = ok && ok_char(c);
    if (!ok)
        throw std::invalid_argument("iothread id '" + id +
                                    "' is not well formed (a letter, then letters, digits, '-', '.', '_')");
}
}  // namespace

void run_loop(AioContext& ctx, const std::atomic<bool>& stop)
{
    if (ctx.locking() == ContextLocking::HomeThread) {
        while (!stop) ctx.poll(true);
        return;
    }
    while (!stop) {
        ctx.acquire();
        // Keep the lock while polls make progress and nobody waits for it; a waiter's poke (a
        // bare notify) makes a blocked poll return without progress.
        while (!stop && ctx.poll(true) && !ctx.has_lock_waiters()) {
        }
        ctx.release();  // FIFO hand-over: a queued waiter runs before we get the lock back
    }
}

IOThread::IOThread(std::string id, ContextLocking locking)
    : id_((check_id(id), std::move(id))), ctx_(id_, locking)
{
    thread_ = std::thread([this] {
        pthread_setname_np(pthread_self(), ("io-" + id_).substr(0, 15).c_str());
        ctx_.attach_current_thread();
        {
            std::lock_guard lk(stop_mutex_);
            attached_ = true;
        }
        attached_cv_.notify_one();
        run_loop(ctx_, stop_);
    });
    thread_id_ = thread_.get_id();
    std::unique_lock lk(stop_mutex_);
    attached_cv_.wait(lk, [this] { return attached_; });
}

IOThread::~IOThread() { stop(); }

void IOThread::stop()
{
    if (std::this_thread::get_id() == thread_id_)
        throw std::logic_error("IOThread '" + id_ + "' cannot stop itself (it would join itself)");
    std::lock_guard lk(stop_mutex_);
    if (!thread_.joinable()) return;
    stop_ = true;
    ctx_.notify();
    thread_.join();
}

IOThreadRegistry::~IOThreadRegistry() { destroy_all(); }

IOThread& IOThreadRegistry::create(const std::string& id, ContextLocking locking)
{
    check_id(id);
    std::lock_guard lk(m_);
    if (threads_.count(id)) throw std::invalid_argument("iothread '" + id + "' already exists");
    auto t = std::make_unique<IOThread>(id, locking);
    return *threads_.emplace(id, std::move(t)).first->second;
}

IOThread* IOThreadRegistry::find(const std::string& id)
{
    std::lock_guard lk(m_);
    auto it = threads_.find(id);
    return it == threads_.end() ? nullptr : it->second.get();
}

bool IOThreadRegistry::destroy(const std::string& id)
{
    std::unique_ptr<IOThread> t;
    {
        std::lock_guard lk(m_);
        auto it = threads_.find(id);
        if (it == threads_.end()) return false;
        t = std::move(it->second);
        threads_.erase(it);
    }
    t.reset();  // joins outside the registry lock
    return true;
}

void IOThreadRegistry::destroy_all()
{
    std::map<std::string, std::unique_ptr<IOThread>> all;
    {
        std::lock_guard lk(m_);
        all.swap(threads_);
    }
    all.clear();
}

std::vector<std::string> IOThreadRegistry::ids() const
{
    std::lock_guard lk(m_);
    std::vector<std::string> v;
    for (const auto& [id, t] : threads_) v.push_back(id);
    return v;
}

IOThreadRegistry& iothreads()
{
    static IOThreadRegistry r;
    return r;
}

}  // namespace locklab
