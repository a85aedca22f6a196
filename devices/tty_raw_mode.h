// TtyRawMode: while it lives, the terminal on `fd` is in raw mode, as QEMU sets up its stdio chardev:
// no echo, no line editing, no CR/LF translation of input (the guest sees every key as typed), but
// output post-processing stays on ("\n" still returns the carriage) and so do signals (Ctrl-C still
// stops the emulator). The saved settings are restored when it is destroyed, at exit(), and on a
// fatal SIGINT/SIGTERM/SIGHUP/SIGQUIT whose handler was the default, so the user's shell never stays
// raw. Not a terminal: nothing happens. One terminal at a time (the board has one serial input).
#pragma once

namespace locklab {

class TtyRawMode {
public:
    explicit TtyRawMode(int fd);
    ~TtyRawMode();
    TtyRawMode(const TtyRawMode&) = delete;
    TtyRawMode& operator=(const TtyRawMode&) = delete;

    bool active() const { return active_; }  // the terminal was switched and will be restored

private:
    bool active_ = false;
};

}  // namespace locklab
