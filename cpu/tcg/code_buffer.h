// The executable memory translated blocks live in: one mmap'd region per hart, filled from the start
// and emptied all at once when full (or on a code flush). Readable, writable and executable: only the
// owning hart's thread writes it (translation and jump patching), between executions of its code.
#pragma once

#include <cstddef>
#include <cstdint>

namespace locklab::rv::tcg {

class CodeBuffer {
public:
    explicit CodeBuffer(size_t size);
    ~CodeBuffer();
    CodeBuffer(const CodeBuffer&) = delete;
    CodeBuffer& operator=(const CodeBuffer&) = delete;

    uint8_t* cursor() const { return base_ + used_; }
    size_t room() const { return size_ - used_; }
    void commit(size_t bytes) { used_ += bytes; }
    // Forget everything after the first `keep` bytes (the trampoline stays).
    void reset(size_t keep) { used_ = keep; }
    size_t used() const { return used_; }
    bool contains(const void* p) const
    {
        auto* b = static_cast<const uint8_t*>(p);
        return b >= base_ && b < base_ + size_;
    }

private:
    uint8_t* base_ = nullptr;
    size_t size_ = 0;
    size_t used_ = 0;
};

}  // namespace locklab::rv::tcg
