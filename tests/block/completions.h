// Completions: what the block tests record of BlockBackend completions: per completed request its
// result and the thread it ran in, and how many ran while the test had flagged a submitting call
// in progress (`submitting`), which the backend's contract forbids.
#pragma once

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "block/block_backend.h"

namespace locklab::test {

struct Completions {
    std::mutex m;
    std::vector<int> results;              // protected by m
    std::vector<std::thread::id> threads;  // protected by m
    std::atomic<bool> submitting{false};   // set by the test around its submitting calls
    std::atomic<unsigned> reentrant{0};    // completions that ran while `submitting`
    BlockBackend::Completion make()
    {
        return [this](int ret) {
            if (submitting.load()) ++reentrant;
            std::lock_guard lk(m);
            results.push_back(ret);
            threads.push_back(std::this_thread::get_id());
        };
    }
    size_t count()
    {
        std::lock_guard lk(m);
        return results.size();
    }
    size_t count_in(std::thread::id t)
    {
        std::lock_guard lk(m);
        return static_cast<size_t>(std::count(threads.begin(), threads.end(), t));
    }
    // Every completion so far returned `ret` in thread `t`.
    bool all(int ret, std::thread::id t)
    {
        std::lock_guard lk(m);
        return std::count(results.begin(), results.end(), ret) == static_cast<long>(results.size()) &&
               std::count(threads.begin(), threads.end(), t) == static_cast<long>(threads.size());
    }
};

}  // namespace locklab::test
