#include "loop/aio_wait.h"

#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>
#include <vector>

namespace locklab {

namespace {
std::atomic<int> g_num_waiters{0};  // seq_cst: incremented before registering, see aio_wait.h
std::mutex g_waiters_mutex;
std::vector<AioContext*>& waiters()  // protected by g_waiters_mutex (a context may appear twice)
{
    static std::vector<AioContext*> v;
    return v;
}
}  // namespace

AioWaitRegistration::AioWaitRegistration(AioContext& ctx) : ctx_(ctx)
{
    g_num_waiters.fetch_add(1);
    std::lock_guard lk(g_waiters_mutex);
    waiters().push_back(&ctx_);
}

AioWaitRegistration::~AioWaitRegistration()
{
    {
        std::lock_guard lk(g_waiters_mutex);
        auto& w = waiters();
        w.erase(std::find(w.begin(), w.end(), &ctx_));
    }
    g_num_waiters.fetch_sub(1);
}

void aio_wait_kick()
{
    if (g_num_waiters.load() == 0) return;
    std::lock_guard lk(g_waiters_mutex);
    for (AioContext* ctx : waiters()) ctx->notify();
}

void run_in_context(AioContext& ctx, const std::function<void()>& fn)
{
    if (ctx.in_home_thread()) {
        fn();
        return;
    }
    auto done = std::make_shared<std::promise<void>>();
    std::future<void> result = done->get_future();
    ctx.schedule_oneshot([done, &fn] {
        try {
            fn();
            done->set_value();
        } catch (...) {
            done->set_exception(std::current_exception());
        }
        aio_wait_kick();
    });
    AioContext* mine = current_context();
    if (mine && mine->in_home_thread()) {
        aio_wait_while(*mine, [&] { return result.wait_for(std::chrono::seconds(0)) != std::future_status::ready; });
    }
    result.get();  // rethrows fn's exception, or broken_promise if ctx was destroyed first
}

}  // namespace locklab
