// Reader kicks (locking/rcu.h): a registry of kicks and one helper thread that calls them every
// kKickPeriod while some rcu_synchronize() waits, and sleeps otherwise.
#include "locking/rcu_reader_kicks.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "locking/rcu.h"

namespace locklab {
namespace {

// Short against a run() slice (10000 guest instructions, ~0.1-1 ms), long against a kick (a store
// and a futex wake per vCPU) and against one block of guest code.
constexpr auto kKickPeriod = std::chrono::microseconds(50);

class ReaderKicks {
public:
    int add(std::function<void()> kick)
    {
        std::lock_guard lk(m_);
        kicks_.emplace_back(next_id_, std::move(kick));
        return next_id_++;
    }
    void remove(int id)
    {
        std::lock_guard lk(m_);  // the helper kicks holding m_: once we have it, the kick is not running
        std::erase_if(kicks_, [&](const auto& k) { return k.first == id; });
    }
    // Returns whether the wait counts (there was a kick to call); pass that to end_wait.
    bool begin_wait()
    {
        std::lock_guard lk(m_);
        if (kicks_.empty()) return false;  // nobody to kick: no helper thread needed (tests, tools)
        ++waiting_;
        if (!started_) {
            started_ = true;
            std::thread([this] { run(); }).detach();
        }
        wake_.notify_one();
        return true;
    }
    void end_wait(bool counted)
    {
        if (!counted) return;
        std::lock_guard lk(m_);
        --waiting_;
    }

private:
    [[noreturn]] void run()
    {
        std::unique_lock lk(m_);
        for (;;) {
            wake_.wait(lk, [&] { return waiting_ > 0; });
            for (auto& [id, kick] : kicks_) kick();
            lk.unlock();
            std::this_thread::sleep_for(kKickPeriod);
            lk.lock();
        }
    }

    std::mutex m_;
    std::condition_variable wake_;
    std::vector<std::pair<int, std::function<void()>>> kicks_;  // protected by m_
    int next_id_ = 0;                                         // protected by m_
    int waiting_ = 0;                                         // protected by m_: waits being kicked for
    bool started_ = false;                                    // protected by m_: the helper exists
};

ReaderKicks& reader_kicks()
{
    static auto* k = new ReaderKicks;  // leaked on purpose: its detached thread never ends
    return *k;
}

}  // namespace

int rcu_add_reader_kick(std::function<void()> kick) { return reader_kicks().add(std::move(kick)); }
void rcu_remove_reader_kick(int id) { reader_kicks().remove(id); }

namespace detail {
ExpeditedGracePeriod::ExpeditedGracePeriod() : counted_(reader_kicks().begin_wait()) {}
ExpeditedGracePeriod::~ExpeditedGracePeriod() { reader_kicks().end_wait(counted_); }
}  // namespace detail

}  // namespace locklab
