// CharSink: where a character device's output goes (QEMU's chardev, output side): the process's
// stdout, or a file. Writes are unbuffered, so guest output appears (and reaches a file) at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace locklab {

class CharSink {
public:
    virtual ~CharSink() = default;
    // Writes all `n` bytes (retrying short writes). A host write error is reported once and the
    // output is dropped from then on; it never stops the guest.
    virtual void write(const uint8_t* data, size_t n) = 0;
};

// `path` empty: stdout. Otherwise the file is created or truncated; throws std::runtime_error naming
// the path and the reason if it cannot be opened.
std::unique_ptr<CharSink> make_char_sink(const std::string& path);

}  // namespace locklab
