#include "locking/rfifo_lock.h"

#include <stdexcept>

namespace locklab {

// One sleeping thread, linked into the queue from its own stack frame.
struct RFifoLock::Waiter {
    std::thread::id thread;
    std::condition_variable cv;  // signalled (under m_) when the lock is handed to this waiter
    bool granted = false;        // protected by m_
    Waiter* next = nullptr;      // protected by m_
};

RFifoLock::RFifoLock(ContentionCallback on_contention) : on_contention_(std::move(on_contention)) {}

RFifoLock::~RFifoLock() = default;

void RFifoLock::lock()
{
    const auto self = std::this_thread::get_id();
    std::unique_lock lk(m_);
    if (owner_ == self) {
        ++nesting_;
        return;
    }
    if (owner_ == std::thread::id{} && !queue_head_) {
        owner_ = self;
        nesting_ = 1;
        return;
    }
    Waiter w;
    w.thread = self;
    (queue_tail_ ? queue_tail_->next : queue_head_) = &w;
    queue_tail_ = &w;
    ++queued_;
    if (on_contention_) {
        lk.unlock();
        on_contention_();
        lk.lock();
    }
    // unlock() made us the owner (owner_ = self, nesting_ = 1) before setting `granted`.
    w.cv.wait(lk, [&] { return w.granted; });
}

bool RFifoLock::try_lock()
{
    const auto self = std::this_thread::get_id();
    std::lock_guard lk(m_);
    if (owner_ == self) {
        ++nesting_;
        return true;
    }
    if (owner_ != std::thread::id{} || queue_head_) return false;
    owner_ = self;
    nesting_ = 1;
    return true;
}

void RFifoLock::unlock()
{
    std::unique_lock lk(m_);
    if (owner_ != std::this_thread::get_id())
        throw std::logic_error("RFifoLock::unlock() by a thread that does not own the lock");
    if (--nesting_ > 0) return;
    Waiter* next = queue_head_;
    if (!next) {
        owner_ = std::thread::id{};
        return;
    }
    queue_head_ = next->next;
    if (!queue_head_) queue_tail_ = nullptr;
    --queued_;
    owner_ = next->thread;  // direct hand-over: nobody can barge in between
    nesting_ = 1;
    next->granted = true;
    next->cv.notify_one();  // under m_: the waiter (and its cv) cannot go away before this returns
    const bool others_wait = queue_head_ != nullptr;
    lk.unlock();
    if (others_wait && on_contention_) on_contention_();  // poke the new owner for them
}

bool RFifoLock::held_by_me() const
{
    std::lock_guard lk(m_);
    return owner_ == std::this_thread::get_id();
}

unsigned RFifoLock::depth() const
{
    std::lock_guard lk(m_);
    return owner_ == std::this_thread::get_id() ? nesting_ : 0;
}

unsigned RFifoLock::waiters() const
{
    std::lock_guard lk(m_);
    return queued_;
}

}  // namespace locklab
