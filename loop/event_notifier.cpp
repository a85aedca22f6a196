#include "loop/event_notifier.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace locklab {

namespace {
int open_eventfd()
{
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
    return fd;
}
}  // namespace

EventNotifier::EventNotifier() : fd_(open_eventfd()) {}

EventNotifier::~EventNotifier() { close(fd_); }

void EventNotifier::set()
{
    const uint64_t one = 1;
    // EAGAIN means the counter is saturated: it is readable already, which is all we want.
    while (write(fd_, &one, sizeof one) < 0 && errno == EINTR) {}
}

bool EventNotifier::test_and_clear()
{
    uint64_t value = 0;
    ssize_t r;
    while ((r = read(fd_, &value, sizeof value)) < 0 && errno == EINTR) {}
    return r == sizeof value && value != 0;
}

}  // namespace locklab
