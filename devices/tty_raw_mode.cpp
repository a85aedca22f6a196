#include "devices/tty_raw_mode.h"

#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>

namespace locklab {

namespace {

// Process-wide, because restoring must also work from atexit and from a signal handler.
// Written only while `g_saved` is false (one owner at a time), read by restore().
termios g_saved_termios;
int g_saved_fd = -1;
std::atomic<bool> g_saved{false};  // atomic: also read from signal handlers

void restore()
{
    if (g_saved.exchange(false)) tcsetattr(g_saved_fd, TCSANOW, &g_saved_termios);  // async-signal-safe
}

void restore_and_reraise(int sig)
{
    restore();
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

void install_safety_nets()
{
    static bool installed = false;  // first raw-mode switch only (called from one thread: realize)
    if (installed) return;
    installed = true;
    std::atexit(restore);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
        struct sigaction old {};
        if (sigaction(sig, nullptr, &old) != 0 || old.sa_handler != SIG_DFL) continue;  // keep others' handlers
        struct sigaction sa {};
        sa.sa_handler = restore_and_reraise;
        sigemptyset(&sa.sa_mask);
        sigaction(sig, &sa, nullptr);
    }
}

}  // namespace

TtyRawMode::TtyRawMode(int fd)
{
    termios t;
    if (fd < 0 || !isatty(fd) || g_saved.load() || tcgetattr(fd, &t) != 0) return;
    g_saved_termios = t;
    g_saved_fd = fd;
    t.c_iflag &= ~tcflag_t(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_oflag |= OPOST;
    t.c_lflag &= ~tcflag_t(ECHO | ECHONL | ICANON | IEXTEN);
    t.c_cflag &= ~tcflag_t(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    g_saved.store(true);
    install_safety_nets();
    if (tcsetattr(fd, TCSANOW, &t) != 0) {
        g_saved.store(false);
        return;
    }
    active_ = true;
}

TtyRawMode::~TtyRawMode()
{
    if (active_) restore();
}

}  // namespace locklab
