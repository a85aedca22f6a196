#include "locking/lock_impl_spin.h"

#include <thread>

namespace locklab {
namespace {

constexpr unsigned kMaxPauses = 64;  // backoff cap: about a microsecond of pauses, then yield

}  // namespace

void SpinLock::lock_slow()
{
    unsigned pauses = 1;
    for (;;) {
        while (locked_.load(std::memory_order_relaxed)) {
            if (pauses < kMaxPauses) {
                for (unsigned i = 0; i < pauses; ++i) cpu_pause();
                pauses *= 2;
            } else {
                std::this_thread::yield();
            }
        }
        if (!locked_.exchange(true, std::memory_order_acquire)) return;
    }
}

}  // namespace locklab
