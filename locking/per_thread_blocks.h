// Per-thread blocks of instrumentation data: each thread writes only its own block (no shared
// cache line on the hot path); a reporter visits every block to merge them.
//
// A block outlives its thread: when a thread exits, its block is handed to the next new thread
// (the data is only ever merged, so which thread wrote it does not matter). Blocks are never freed.
// One registry per Block type (the thread's block pointer is a thread_local of the type).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace locklab {

// A block's lock: taken by its own thread on every update (uncontended: one atomic exchange) and
// by a reporter for the moment it reads the block.
class BlockLock {
public:
    void lock()
    {
        while (busy_.exchange(true, std::memory_order_acquire))
            while (busy_.load(std::memory_order_relaxed)) std::this_thread::yield();
    }
    void unlock() { busy_.store(false, std::memory_order_release); }

private:
    std::atomic<bool> busy_{false};
};

template <class Block>
class PerThreadBlocks {
public:
    // Runs f(block) on this thread's block, under the block's lock. Does nothing while the thread
    // is being torn down (its block is already handed back).
    template <class F>
    void update(F&& f)
    {
        Slot* s = t_slot;
        if (s == nullptr) s = attach();
        if (s == dead()) return;
        std::lock_guard lock(s->lock);
        f(s->block);
    }

    // This thread's block without taking its lock, for blocks whose fields only their thread
    // writes, as atomics, and reporters read without the lock (lock_stats.cpp): the update then costs
    // no locked instruction. Null while the thread is being torn down.
    Block* mine()
    {
        Slot* s = t_slot;
        if (s == nullptr) s = attach();
        return s == dead() ? nullptr : &s->block;
    }

    // Runs f(block) on every block, each under its lock, one at a time.
    template <class F>
    void for_each(F&& f)
    {
        std::lock_guard list_lock(mutex_);
        for (auto& s : slots_) {
            std::lock_guard lock(s->lock);
            f(s->block);
        }
    }

private:
    struct Slot {
        BlockLock lock;
        Block block;          // protected by lock (blocks used through mine(): see there)
        bool in_use = false;  // protected by PerThreadBlocks::mutex_
    };

    // Hands the thread's block back when the thread exits.
    struct Detach {
        PerThreadBlocks* owner = nullptr;
        ~Detach()
        {
            if (owner) owner->detach(t_slot);
            t_slot = dead();
        }
    };

    // Marks a thread whose block was handed back (never dereferenced).
    static Slot* dead() { return reinterpret_cast<Slot*>(uintptr_t{1}); }

    Slot* attach()
    {
        Slot* s = nullptr;
        {
            std::lock_guard lock(mutex_);
            for (auto& candidate : slots_)
                if (!candidate->in_use) { s = candidate.get(); break; }
            if (!s) s = slots_.emplace_back(std::make_unique<Slot>()).get();
            s->in_use = true;
        }
        t_slot = s;
        t_detach.owner = this;  // first use constructs it: its destructor runs at thread exit
        return s;
    }

    void detach(Slot* s)
    {
        std::lock_guard lock(mutex_);
        s->in_use = false;
    }

    std::mutex mutex_;                         // protects slots_ and every Slot::in_use
    std::vector<std::unique_ptr<Slot>> slots_;  // protected by mutex_; only grows
    static inline thread_local Slot* t_slot = nullptr;  // home thread only; dead() after teardown
    static inline thread_local Detach t_detach;          // home thread only
};

}  // namespace locklab
