// MemoryDisk: an in-memory BlockDriver for tests of what sits above the driver (BlockBackend,
// virtio-blk). Every call first passes a Gate, which a test closes to hold requests in flight.
// Its non-blocking variants (try_read_nowait/try_write_nowait) do the transfer while the gate is
// open and are -EAGAIN while it is closed, as a page cache hit or miss would; a test can make them
// refuse, always fail, or fail after moving half of the transfer (set_nowait). Header-only; needs
// only locklab_block_formats (io_vector).
#pragma once

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <vector>

#include "block/block_driver.h"
#include "block/io_vector.h"

namespace locklab::test {

// Driver calls wait in pass() while the gate is closed.
class Gate {
public:
    explicit Gate(bool open = true) : open_(open) {}
    void close()
    {
        std::lock_guard lk(m_);
        open_ = false;
    }
    // Notifies under the lock: once a passer can run (and its test tear the gate down), open() no
    // longer touches the condition variable.
    void open()
    {
        std::lock_guard lk(m_);
        open_ = true;
        cv_.notify_all();
    }
    void pass()
    {
        std::unique_lock lk(m_);
        ++waiting_;
        cv_.wait(lk, [this] { return open_; });
        --waiting_;
    }
    unsigned waiting()
    {
        std::lock_guard lk(m_);
        return waiting_;
    }
    bool is_open()
    {
        std::lock_guard lk(m_);
        return open_;
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    bool open_;             // protected by m_
    unsigned waiting_ = 0;  // protected by m_
};

// How MemoryDisk's non-blocking variants behave.
enum class MemoryNowait {
    Works,        // transfer while the gate is open, -EAGAIN while it is closed (the default)
    Unsupported,  // -ENOTSUP, as BlockDriver's default
    Again,        // always -EAGAIN, having moved nothing
    Partial,      // move the first half of the transfer, then -EAGAIN (a short RWF_NOWAIT call)
};

// Counts flushes; optionally read-only, and with or without discard/write-zeroes (`zeroing`).
class MemoryDisk final : public BlockDriver {
public:
    explicit MemoryDisk(size_t size, bool read_only = false, bool zeroing = true)
        : bytes_(size, 0), read_only_(read_only), zeroing_(zeroing)
    {
    }
    const char* format_name() const override { return "memory"; }
    uint64_t length() const override { return bytes_.size(); }
    bool read_only() const override { return read_only_; }
    int read(uint64_t offset, const IoVector& iov) override
    {
        gate.pass();
        std::lock_guard lk(m_);
        if (!range_in_disk(offset, iov_size(iov), length())) return -EINVAL;
        iov_from_buffer(iov, bytes_.data() + offset);
        return 0;
    }
    int write(uint64_t offset, const IoVector& iov) override
    {
        gate.pass();
        std::lock_guard lk(m_);
        if (read_only_) return -EROFS;
        if (!range_in_disk(offset, iov_size(iov), length())) return -EINVAL;
        iov_to_buffer(iov, bytes_.data() + offset);
        return 0;
    }
    int flush() override
    {
        gate.pass();
        std::lock_guard lk(m_);
        ++flushes_;
        return 0;
    }
    int try_read_nowait(uint64_t offset, const IoVector& iov) override
    {
        return try_nowait(offset, iov, [this](uint64_t off, const IoVector& part) {
            iov_from_buffer(part, bytes_.data() + off);
        });
    }
    int try_write_nowait(uint64_t offset, const IoVector& iov) override
    {
        if (read_only_) return -EROFS;
        return try_nowait(offset, iov, [this](uint64_t off, const IoVector& part) {
            iov_to_buffer(part, bytes_.data() + off);
        });
    }
    int write_zeroes(uint64_t offset, uint64_t bytes, bool) override { return zero(offset, bytes); }
    int discard(uint64_t offset, uint64_t bytes) override { return zero(offset, bytes); }

    std::vector<uint8_t> contents()
    {
        std::lock_guard lk(m_);
        return bytes_;
    }
    void fill(uint64_t offset, const std::vector<uint8_t>& data)
    {
        std::lock_guard lk(m_);
        std::memcpy(bytes_.data() + offset, data.data(), data.size());
    }
    int flushes()
    {
        std::lock_guard lk(m_);
        return flushes_;
    }
    void set_nowait(MemoryNowait m) { nowait_.store(m); }
    // Called at the start of every try_*_nowait call, in the submitting thread (where a test can
    // hold a queue handler in the middle of its ring). Set only while no request is in flight.
    void set_nowait_hook(std::function<void()> hook) { nowait_hook_ = std::move(hook); }
    unsigned nowait_tries() const { return nowait_tries_.load(); }  // calls of the try_*_nowait variants

    Gate gate;  // thread-safe

private:
    // move(offset, part) copies under m_.
    template <class Move>
    int try_nowait(uint64_t offset, const IoVector& iov, Move move)
    {
        ++nowait_tries_;
        if (nowait_hook_) nowait_hook_();
        const MemoryNowait mode = nowait_.load();
        if (mode == MemoryNowait::Unsupported) return -ENOTSUP;
        if (mode == MemoryNowait::Again || !gate.is_open()) return -EAGAIN;
        std::lock_guard lk(m_);
        const uint64_t n = iov_size(iov);
        if (!range_in_disk(offset, n, length())) return -EINVAL;
        if (mode == MemoryNowait::Partial) {
            move(offset, iov_slice(iov, 0, n / 2));
            return -EAGAIN;
        }
        move(offset, iov);
        return 0;
    }

    int zero(uint64_t offset, uint64_t bytes)
    {
        if (!zeroing_) return -ENOTSUP;
        gate.pass();
        std::lock_guard lk(m_);
        if (read_only_) return -EROFS;
        if (!range_in_disk(offset, bytes, length())) return -EINVAL;
        std::memset(bytes_.data() + offset, 0, bytes);
        return 0;
    }
    std::mutex m_;
    std::vector<uint8_t> bytes_;  // protected by m_
    int flushes_ = 0;             // protected by m_
    const bool read_only_;        // immutable
    const bool zeroing_;          // immutable
    std::atomic<MemoryNowait> nowait_{MemoryNowait::Works};  // atomic; set by the test
    std::atomic<unsigned> nowait_tries_{0};                  // atomic
    std::function<void()> nowait_hook_;  // set by the test while no request is in flight
};

}  // namespace locklab::test
