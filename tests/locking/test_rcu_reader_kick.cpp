// Reader kicks (locking/rcu.h): rcu_synchronize() kicks long readers out of their sections while it
// waits, for as long as it waits, and only then.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "locking/rcu.h"

using namespace locklab;
using namespace std::chrono_literals;

namespace {

// A reader like a vCPU: one long read section per "run", left only when kicked (or after `limit`,
// so a broken kick fails the test instead of hanging it).
class LongReader {
public:
    explicit LongReader(std::chrono::milliseconds limit = 10s) : limit_(limit), thread_([this] { run(); }) {}
    ~LongReader()
    {
        stop_ = true;
        kicked_ = true;
        thread_.join();
    }
    void wait_until_inside() const
    {
        while (!inside_) std::this_thread::yield();
    }
    void kick() { kicked_ = true; }
    int sections_left_by_kick() const { return left_by_kick_; }
    int sections_timed_out() const { return timed_out_; }

private:
    void run()
    {
        while (!stop_) {
            RcuReadGuard section;
            inside_ = true;
            const auto start = std::chrono::steady_clock::now();
            while (!kicked_.exchange(false)) {
                if (std::chrono::steady_clock::now() - start > limit_) {
                    ++timed_out_;
                    break;
                }
                std::this_thread::yield();
            }
            if (!stop_) ++left_by_kick_;
        }
    }

    const std::chrono::milliseconds limit_;
    std::atomic<bool> inside_{false}, kicked_{false}, stop_{false};  // atomic: set by other threads
    std::atomic<int> left_by_kick_{0}, timed_out_{0};                // atomic: read by the test
    std::thread thread_;
};

}  // namespace

TEST_CASE("rcu_synchronize kicks a registered long reader out of its section", "[locking][rcu]")
{
    LongReader reader;
    std::atomic<int> kicks{0};
    const int id = rcu_add_reader_kick([&] {
        ++kicks;
        reader.kick();
    });
    reader.wait_until_inside();
    rcu_synchronize();  // without the kick this would wait for the reader's 10 s limit
    rcu_remove_reader_kick(id);
    CHECK(kicks > 0);
    CHECK(reader.sections_timed_out() == 0);
}

TEST_CASE("Reader kicks are called only while a grace period is waited for, and not once removed",
          "[locking][rcu]")
{
    std::atomic<int> kicks{0};
    const int id = rcu_add_reader_kick([&] { ++kicks; });
    std::this_thread::sleep_for(5ms);
    CHECK(kicks == 0);  // nobody waits
    rcu_synchronize();  // no reader: over before or after a kick, either is fine
    rcu_remove_reader_kick(id);
    const int after_removal = kicks;
    {
        LongReader reader(200ms);  // leaves on its own, after a grace period waited 200 ms for it
        reader.wait_until_inside();
        rcu_synchronize();
        CHECK(reader.sections_timed_out() >= 1);
    }
    CHECK(kicks == after_removal);
}
