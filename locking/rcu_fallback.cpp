// A small, slow, obviously-correct RCU for ThreadSanitizer builds (liburcu's barriers and
// membarrier confuse TSan). Readers publish the grace-period counter they started in; a writer bumps
// the counter and waits until no reader is still inside a section that began before the bump.
// Everything is seq_cst so TSan sees every ordering.
#include "locking/rcu.h"

#include <cassert>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "locking/bql.h"
#include "locking/rcu_reader_kicks.h"

namespace locklab {
namespace {

struct Reader {
    std::atomic<uint64_t> ctr{0};  // atomic: 0 outside a section, else the gp counter at entry
};

std::mutex g_registry_mutex;
std::vector<Reader*>& registry()  // protected by g_registry_mutex
{
    // Leaked on purpose: the reclaimer thread scans it during static destruction.
    static auto* r = new std::vector<Reader*>;
    return *r;
}
std::atomic<uint64_t> g_gp_ctr{1};  // atomic: odd values only, bumped by 2 per grace period

// Grace periods are shared by concurrent rcu_synchronize callers: a caller waits for the first one
// that *starts* after its call (one already running may have missed its readers), and every caller
// waiting for that one returns when it ends. Callers do not queue behind one another's grace periods,
// so a thread calling rcu_synchronize in a loop cannot starve the others (liburcu batches the same way).
struct GracePeriods {
    std::mutex m;
    std::condition_variable ended;
    uint64_t started = 0;    // protected by m: grace periods begun
    uint64_t completed = 0;  // protected by m: grace periods ended (they run one at a time, in order)
    bool running = false;    // protected by m: one is under way (its number is `started`)
};
GracePeriods& grace_periods()
{
    static auto* g = new GracePeriods;  // leaked on purpose, like the registry
    return *g;
}

struct ThreadReader {
    Reader r;
    ThreadReader()
    {
        std::lock_guard lk(g_registry_mutex);
        registry().push_back(&r);
    }
    ~ThreadReader()
    {
        std::lock_guard lk(g_registry_mutex);
        std::erase(registry(), &r);
    }
};
ThreadReader& self()
{
    thread_local ThreadReader t;
    return t;
}

// One grace period: bump the counter, then wait until no reader is still in a section that began
// before the bump. Called by one thread at a time (GracePeriods::running).
void wait_for_readers()
{
    const uint64_t now = g_gp_ctr.fetch_add(2) + 2;
    for (;;) {
        bool busy = false;
        {
            std::lock_guard lk(g_registry_mutex);
            for (Reader* r : registry()) {
                uint64_t c = r->ctr.load();
                if (c != 0 && c != now) busy = true;
            }
        }
        if (!busy) return;
        std::this_thread::yield();
    }
}

// The reclaimer: a thread that runs queued callbacks after a grace period.
class Reclaimer {
public:
    void push(std::function<void()> fn)
    {
        std::lock_guard lk(m_);
        if (!started_) {
            started_ = true;
            std::thread([this] { run(); }).detach();
        }
        q_.push_back(std::move(fn));
        cv_.notify_one();
    }
    void barrier()
    {
        std::mutex done_m;
        std::condition_variable done_cv;
        bool done = false;
        push([&] {
            std::lock_guard lk(done_m);
            done = true;
            done_cv.notify_one();
        });
        std::unique_lock lk(done_m);
        done_cv.wait(lk, [&] { return done; });
    }

private:
    void run()
    {
        for (;;) {
            std::deque<std::function<void()>> batch;
            {
                std::unique_lock lk(m_);
                cv_.wait(lk, [&] { return !q_.empty(); });
                batch.swap(q_);
            }
            rcu_synchronize();
            for (auto& fn : batch) fn();
        }
    }
    std::mutex m_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> q_;  // protected by m_
    bool started_ = false;                 // protected by m_
};
Reclaimer& reclaimer()
{
    static auto* r = new Reclaimer;  // leaked on purpose: its thread outlives static destruction
    return *r;
}

}  // namespace

namespace detail {
void rcu_read_lock_outermost() { self().r.ctr.store(g_gp_ctr.load()); }
void rcu_read_unlock_outermost() { self().r.ctr.store(0); }
}  // namespace detail

void rcu_synchronize()
{
    assert(!rcu_read_locked() && "rcu_synchronize inside a read section would wait for itself");
    GracePeriods& gp = grace_periods();
    std::unique_lock lk(gp.m);
    const uint64_t need = gp.started + 1;  // the next one to start, not one already running
    while (gp.completed < need) {
        if (gp.running) {
            gp.ended.wait(lk);
            continue;
        }
        gp.running = true;
        const uint64_t mine = ++gp.started;
        lk.unlock();
        {
            detail::ExpeditedGracePeriod kicking;  // long readers are kicked out of their sections
            wait_for_readers();
        }
        lk.lock();
        gp.completed = mine;
        gp.running = false;
        gp.ended.notify_all();
    }
}

void rcu_call(std::function<void()> fn) { reclaimer().push(std::move(fn)); }
void rcu_barrier()
{
    assert(!rcu_read_locked() && "rcu_barrier inside a read section would wait for itself");
    BqlUnlockGuard unlocked;  // callbacks, and readers we wait for, may need the BQL (rcu.h)
    reclaimer().barrier();
}
void rcu_quiescent() {}

}  // namespace locklab
