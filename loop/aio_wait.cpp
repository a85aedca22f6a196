#include "loop/aio_wait.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <stdexcept>
#include <utility>
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

namespace {
// The hand-over between run_in_context's caller and the BH. An exception crosses threads only
// under the mutex and is released by the caller (TSan cannot see exception_ptr's own refcount).
struct Completion {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;         // protected by m
    std::exception_ptr error;  // protected by m

    void finish(std::exception_ptr e)  // the first call wins
    {
        {
            std::lock_guard lk(m);
            if (done) return;
            done = true;
            error = std::move(e);
        }
        cv.notify_one();
        aio_wait_kick();
    }
    bool finished()
    {
        std::lock_guard lk(m);
        return done;
    }
};

// Owned by the one-shot BH: if the BH is destroyed without running (its context went away
// first), the caller gets an error instead of waiting forever.
struct Sender {
    explicit Sender(std::shared_ptr<Completion> completion) : c(std::move(completion)) {}
    Sender(const Sender&) = delete;
    Sender& operator=(const Sender&) = delete;
    const std::shared_ptr<Completion> c;
    ~Sender()
    {
        c->finish(std::make_exception_ptr(
            std::runtime_error("run_in_context: the AioContext was destroyed before the function ran")));
    }
};
}  // namespace

void run_in_context(AioContext& ctx, const std::function<void()>& fn)
{
    if (ctx.in_home_thread()) {
        fn();
        return;
    }
    auto c = std::make_shared<Completion>();
    ctx.schedule_oneshot([sender = std::make_shared<Sender>(c), &fn] {
        std::exception_ptr error;
        try {
            fn();
        } catch (...) {
            error = std::current_exception();
        }
        sender->c->finish(std::move(error));
    });
    if (AioContext* mine = current_context(); mine && mine->in_home_thread())
        aio_wait_while(*mine, [&] { return !c->finished(); });
    std::unique_lock lk(c->m);
    c->cv.wait(lk, [&] { return c->done; });
    if (auto error = std::exchange(c->error, nullptr)) {
        lk.unlock();
        std::rethrow_exception(error);
    }
}

}  // namespace locklab
