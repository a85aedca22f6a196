// EventNotifier: a cross-thread doorbell on an eventfd (QEMU's util/event_notifier-posix.c).
// set() from any thread makes fd() readable until test_and_clear() consumes it; several set()s
// before a test_and_clear() collapse into one.
#pragma once

namespace locklab {

class EventNotifier {
public:
    EventNotifier();  // throws std::system_error if the host has no eventfd left
    ~EventNotifier();
    EventNotifier(const EventNotifier&) = delete;
    EventNotifier& operator=(const EventNotifier&) = delete;

    void set();             // any thread
    bool test_and_clear();  // any thread; true if it had been set
    int fd() const { return fd_; }

private:
    const int fd_;  // immutable; the kernel serialises reads and writes on it
};

}  // namespace locklab
