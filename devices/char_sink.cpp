#include "devices/char_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace locklab {

namespace {

class FdCharSink final : public CharSink {
public:
    FdCharSink(int fd, bool owned, std::string name) : fd_(fd), owned_(owned), name_(std::move(name)) {}
    ~FdCharSink() override
    {
        if (owned_) ::close(fd_);
    }

    void write(const uint8_t* data, size_t n) override
    {
        while (n > 0 && !failed_) {
            const ssize_t w = ::write(fd_, data, n);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                fmt::print(stderr, "locklab: serial output to {}: {}; further output is dropped\n", name_,
                           w < 0 ? std::strerror(errno) : "nothing written");
                failed_ = true;
                return;
            }
            data += w;
            n -= size_t(w);
        }
    }

private:
    const int fd_;
    const bool owned_;
    const std::string name_;
    bool failed_ = false;  // protected by the owning device's lock
};

}  // namespace

std::unique_ptr<CharSink> make_char_sink(const std::string& path)
{
    if (path.empty()) return std::make_unique<FdCharSink>(STDOUT_FILENO, false, "stdout");
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        throw std::runtime_error(fmt::format("serial output '{}': cannot open: {}", path, std::strerror(errno)));
    return std::make_unique<FdCharSink>(fd, true, path);
}

}  // namespace locklab
