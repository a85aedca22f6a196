// TtyRawMode (devices/tty_raw_mode.h) on a pseudo-terminal: raw input while the UART owns the
// terminal (keys arrive one by one, no echo), output processing and signals kept, settings restored.
#include <catch2/catch.hpp>

#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include "device_fixture.h"
#include "devices/tty_raw_mode.h"
#include "devices/uart16550.h"
#include "devices/virt_memmap.h"

using namespace locklab;
using namespace locklab::test;

namespace {

struct Pty {
    int master = -1, slave = -1;
    Pty() { REQUIRE(openpty(&master, &slave, nullptr, nullptr, nullptr) == 0); }
    ~Pty()
    {
        close(master);
        close(slave);
    }
    termios attrs() const
    {
        termios t{};
        REQUIRE(tcgetattr(slave, &t) == 0);
        return t;
    }
};

}  // namespace

TEST_CASE("Raw mode turns off echo, line editing and CR translation but keeps OPOST and signals",
          "[devices][tty]")
{
    Pty pty;
    const termios before = pty.attrs();
    REQUIRE(before.c_lflag & ICANON);
    {
        TtyRawMode raw(pty.slave);
        REQUIRE(raw.active());
        const termios t = pty.attrs();
        CHECK_FALSE(t.c_lflag & (ICANON | ECHO | IEXTEN));
        CHECK_FALSE(t.c_iflag & (ICRNL | IXON));
        CHECK(t.c_oflag & OPOST);
        CHECK(t.c_lflag & ISIG);
        CHECK(t.c_cc[VMIN] == 1);
    }
    const termios after = pty.attrs();
    CHECK(after.c_lflag == before.c_lflag);
    CHECK(after.c_iflag == before.c_iflag);
}

TEST_CASE("Raw mode leaves descriptors that are not terminals alone", "[devices][tty]")
{
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    CHECK_FALSE(TtyRawMode(fds[0]).active());
    CHECK_FALSE(TtyRawMode(-1).active());
    close(fds[0]);
    close(fds[1]);
}

TEST_CASE("A UART reading a terminal gets each key at once, untranslated, until unrealized", "[devices][tty]")
{
    Pty pty;
    const termios before = pty.attrs();
    AioContext ctx("tty-test");
    FakeIrqSink plic;
    TempFile out;
    AddressSpace as("tty-test");
    {
        Mapped<Uart16550> uart(as, virt::kUartBase,
                               make_object<Uart16550>(virt::kUartSize, virt::kUartClockHz, ctx,
                                                      IrqLine(&plic, virt::kUartIrq), make_char_sink(out.path()),
                                                      pty.slave));
        CHECK_FALSE(pty.attrs().c_lflag & ICANON);
        REQUIRE(write(pty.master, "\r", 1) == 1);  // no newline: a cooked terminal would hold this back
        REQUIRE(poll_until(ctx, [&] { return read_reg(as, virt::kUartBase + Uart16550::kLsr, 1) & 1; }));
        CHECK(read_reg(as, virt::kUartBase, 1) == '\r');  // not turned into '\n'
    }
    CHECK(pty.attrs().c_lflag == before.c_lflag);
}
