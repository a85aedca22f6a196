// UART 16550A (devices/uart16550.h): transmit to a file, receive from a pipe through the AioContext,
// DLAB, LSR/MSR bits, FIFO trigger levels and timeouts, IIR priorities, loopback and flow control.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "device_fixture.h"
#include "devices/uart16550.h"
#include "devices/virt_memmap.h"

using namespace locklab;
using namespace locklab::test;
using U = Uart16550;

namespace {

constexpr hwaddr kBase = virt::kUartBase;

struct Pipe {
    int rd = -1, wr = -1;
    Pipe()
    {
        int fds[2];
        REQUIRE(pipe(fds) == 0);
        rd = fds[0];
        wr = fds[1];
    }
    ~Pipe()
    {
        close(rd);
        close_write();
    }
    void send(const std::string& s) { REQUIRE(write(wr, s.data(), s.size()) == ssize_t(s.size())); }
    void close_write()
    {
        if (wr >= 0) close(wr);
        wr = -1;
    }
};

struct UartBench {
    ManualVirtualClock clock;  // the character timeout runs on the Virtual clock
    AioContext ctx{"uart-test"};
    FakeIrqSink plic;
    TempFile out;
    AddressSpace as{"uart-test"};
    std::optional<Mapped<U>> uart;

    explicit UartBench(int in_fd = -1)
    {
        uart.emplace(as, kBase,
                     make_object<U>(virt::kUartSize, virt::kUartClockHz, ctx, IrqLine(&plic, virt::kUartIrq),
                                    make_char_sink(out.path()), in_fd));
    }

    uint8_t reg(hwaddr r) { return uint8_t(read_reg(as, kBase + r, 1)); }
    void set(hwaddr r, uint8_t v) { write_reg(as, kBase + r, 1, v); }
    uint8_t iir_id() { return reg(U::kIirFcr) & 0x0f; }
    bool irq() const { return plic.level(virt::kUartIrq); }
    bool wait_data() { return poll_until(ctx, [&] { return reg(U::kLsr) & U::kLsrDr; }); }
};

}  // namespace

TEST_CASE("Bytes written to THR reach the output file in order, with THRE and TEMT set", "[devices][uart]")
{
    UartBench b;
    for (char c : std::string("hello\n")) b.set(U::kRbrThr, uint8_t(c));
    CHECK(b.out.contents() == "hello\n");
    CHECK((b.reg(U::kLsr) & (U::kLsrThre | U::kLsrTemt)) == (U::kLsrThre | U::kLsrTemt));
}

TEST_CASE("With DLAB set, offsets 0 and 1 are the divisor latch instead of THR and IER", "[devices][uart]")
{
    UartBench b;
    b.set(U::kLcr, U::kLcrDlab | 0x03);
    b.set(U::kRbrThr, 0x34);
    b.set(U::kIer, 0x12);
    CHECK(b.reg(U::kRbrThr) == 0x34);
    CHECK(b.reg(U::kIer) == 0x12);
    CHECK(b.out.contents().empty());  // nothing was transmitted
    b.set(U::kLcr, 0x03);
    CHECK(b.reg(U::kIer) == 0);  // the real IER was never written
    CHECK(b.reg(U::kLcr) == 0x03);
}

TEST_CASE("SCR keeps what was written; wide accesses use the register's low byte", "[devices][uart]")
{
    UartBench b;
    b.set(U::kScr, 0xa5);
    CHECK(b.reg(U::kScr) == 0xa5);
    write_reg(b.as, kBase + U::kMcr, 4, 0x1234'5613);
    CHECK(read_reg(b.as, kBase + U::kMcr, 4) == 0x13);
    CHECK(read_reg(b.as, kBase + 8 + U::kScr, 1) == 0xa5);  // the 8 registers repeat over the region
}

TEST_CASE("Input from the fd arrives in RBR, sets DR and raises the RX interrupt", "[devices][uart]")
{
    Pipe in;
    UartBench b(in.rd);
    b.set(U::kIer, U::kIerRdi);
    CHECK_FALSE(b.irq());
    CHECK(b.iir_id() == U::kIirNone);
    in.send("ab");
    REQUIRE(b.wait_data());
    CHECK(b.irq());
    CHECK(b.iir_id() == U::kIirRdi);
    CHECK(b.reg(U::kRbrThr) == 'a');  // FIFO off: one byte at a time, the rest waits in the pipe
    CHECK_FALSE(b.reg(U::kLsr) & U::kLsrDr);
    CHECK_FALSE(b.irq());
    REQUIRE(b.wait_data());
    CHECK(b.reg(U::kRbrThr) == 'b');
    CHECK_FALSE(b.reg(U::kLsr) & U::kLsrOe);
}

TEST_CASE("In FIFO mode RX interrupts at the trigger level, or after a 4-character timeout below it",
          "[devices][uart]")
{
    Pipe in;
    UartBench b(in.rd);
    b.set(U::kIirFcr, U::kFcrEnable | 0x80);  // trigger level 8
    b.set(U::kIer, U::kIerRdi);
    CHECK((b.reg(U::kIirFcr) & U::kIirFifoEnabled) == U::kIirFifoEnabled);
    in.send("abc");
    REQUIRE(b.wait_data());
    poll_ready(b.ctx);
    CHECK_FALSE(b.irq());  // 3 < 8 and no time has passed
    // 4 characters at the reset divisor 12: 10 bits * 16 * 12 / 3.6864 MHz each.
    b.clock.advance(4 * 10 * 16 * 12 * 1'000'000'000ll / int64_t(virt::kUartClockHz) + 1);
    poll_ready(b.ctx);
    CHECK(b.irq());
    CHECK(b.iir_id() == U::kIirCti);
    CHECK(b.reg(U::kRbrThr) == 'a');  // reading RBR clears the timeout
    CHECK(b.iir_id() == U::kIirNone);
    in.send("defghij");  // 2 + 7 = 9 bytes: above the trigger level
    REQUIRE(poll_until(b.ctx, [&] { return b.irq(); }));
    CHECK(b.iir_id() == U::kIirRdi);
    std::string got;
    while (b.reg(U::kLsr) & U::kLsrDr) got += char(b.reg(U::kRbrThr));
    CHECK(got == "bcdefghij");
}

TEST_CASE("A full FIFO leaves further input in the fd until the guest reads: nothing is lost",
          "[devices][uart]")
{
    Pipe in;
    UartBench b(in.rd);
    b.set(U::kIirFcr, U::kFcrEnable);
    std::string sent;
    for (int i = 0; i < 100; ++i) sent += char('0' + i % 64);
    in.send(sent);
    std::string got;
    while (got.size() < sent.size()) {
        REQUIRE(b.wait_data());
        poll_ready(b.ctx);  // give the handler every chance to overfill the FIFO
        while (b.reg(U::kLsr) & U::kLsrDr) got += char(b.reg(U::kRbrThr));
        CHECK_FALSE(b.reg(U::kLsr) & U::kLsrOe);
    }
    CHECK(got == sent);
}

TEST_CASE("EOF on the input fd stops input for good without busy polling", "[devices][uart]")
{
    Pipe in;
    UartBench b(in.rd);
    in.send("z");
    in.close_write();
    REQUIRE(b.wait_data());
    CHECK(b.reg(U::kRbrThr) == 'z');
    poll_ready(b.ctx);             // sees the EOF and removes the handler ...
    CHECK_FALSE(b.ctx.poll(false));  // ... so the closed pipe no longer counts as progress
    CHECK_FALSE(b.reg(U::kLsr) & U::kLsrDr);
}

TEST_CASE("Input from a regular file, which epoll cannot watch, still arrives", "[devices][uart]")
{
    TempFile file;
    {
        std::ofstream(file.path()) << "xyz";
    }
    const int fd = open(file.path().c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    {
        UartBench b(fd);
        std::string got;
        for (int i = 0; i < 3; ++i) {
            REQUIRE(b.wait_data());
            got += char(b.reg(U::kRbrThr));
        }
        CHECK(got == "xyz");
        poll_ready(b.ctx);
        CHECK_FALSE(b.reg(U::kLsr) & U::kLsrDr);
    }
    close(fd);
}

TEST_CASE("IIR reports line status, then RX data, then THR empty, then modem status", "[devices][uart]")
{
    UartBench b;
    b.set(U::kMcr, U::kMcrLoop);  // loopback: our own THR feeds RBR; the modem lines all drop
    b.set(U::kRbrThr, 'x');
    b.set(U::kRbrThr, 'y');       // FIFO off: overwrites the unread 'x' -> overrun
    b.set(U::kIer, U::kIerRdi | U::kIerThri | U::kIerRlsi | U::kIerMsi);
    CHECK(b.irq());
    CHECK(b.iir_id() == U::kIirRlsi);
    CHECK((b.reg(U::kLsr) & (U::kLsrOe | U::kLsrDr)) == (U::kLsrOe | U::kLsrDr));  // reading clears OE
    CHECK(b.iir_id() == U::kIirRdi);
    CHECK(b.reg(U::kRbrThr) == 'y');
    CHECK(b.iir_id() == U::kIirThri);  // this read of IIR acknowledges THR empty ...
    CHECK(b.iir_id() == U::kIirMsi);   // ... so the modem status change shows next
    CHECK((b.reg(U::kMsr) & 0x0f) != 0);
    CHECK(b.iir_id() == U::kIirNone);  // reading MSR cleared the deltas
    CHECK_FALSE(b.irq());
    CHECK(b.out.contents().empty());   // loopback transmits nothing
}

TEST_CASE("Enabling the THR-empty interrupt raises it at once; writing THR raises it again", "[devices][uart]")
{
    UartBench b;
    b.set(U::kIer, U::kIerThri);
    CHECK(b.irq());
    CHECK(b.iir_id() == U::kIirThri);
    CHECK_FALSE(b.irq());
    b.set(U::kRbrThr, '!');
    CHECK(b.irq());
    b.set(U::kIer, 0);
    CHECK_FALSE(b.irq());
}

TEST_CASE("In loopback MSR mirrors MCR's modem outputs", "[devices][uart]")
{
    UartBench b;
    CHECK((b.reg(U::kMsr) & 0xf0) == (U::kMsrDcd | U::kMsrDsr | U::kMsrCts));
    b.set(U::kMcr, U::kMcrLoop | U::kMcrRts);
    CHECK((b.reg(U::kMsr) & 0xf0) == U::kMsrCts);
    b.set(U::kMcr, U::kMcrLoop | U::kMcrDtr | U::kMcrOut1 | U::kMcrOut2);
    CHECK((b.reg(U::kMsr) & 0xf0) == (U::kMsrDsr | U::kMsrRi | U::kMsrDcd));
}

TEST_CASE("Loopback holds host input back until the guest leaves it", "[devices][uart]")
{
    Pipe in;
    UartBench b(in.rd);
    b.set(U::kMcr, U::kMcrLoop);
    in.send("h");
    poll_until(b.ctx, [] { return false; }, std::chrono::milliseconds(20));
    CHECK_FALSE(b.reg(U::kLsr) & U::kLsrDr);
    b.set(U::kMcr, U::kMcrOut2);
    REQUIRE(b.wait_data());
    CHECK(b.reg(U::kRbrThr) == 'h');
}

TEST_CASE("Writing FCR's RX reset empties the receive FIFO", "[devices][uart]")
{
    UartBench b;
    b.set(U::kIirFcr, U::kFcrEnable);
    b.set(U::kMcr, U::kMcrLoop);
    b.set(U::kRbrThr, '1');
    b.set(U::kRbrThr, '2');
    REQUIRE(b.reg(U::kLsr) & U::kLsrDr);
    b.set(U::kIirFcr, U::kFcrEnable | U::kFcrClearRx);
    CHECK_FALSE(b.reg(U::kLsr) & U::kLsrDr);
}

TEST_CASE("A serial output path that cannot be opened is a clear error", "[devices][uart]")
{
    CHECK_THROWS_WITH(make_char_sink("/nonexistent-dir/out.txt"), Catch::Contains("/nonexistent-dir/out.txt"));
}

TEST_CASE("UART reset restores the registers and empties the FIFO but keeps input flowing", "[devices][uart]")
{
    Pipe in;
    UartBench b(in.rd);
    b.set(U::kIirFcr, U::kFcrEnable);
    b.set(U::kLcr, 0x1b);
    b.set(U::kIer, U::kIerThri);
    in.send("q");
    REQUIRE(b.wait_data());
    (*b.uart)->reset();
    CHECK(b.reg(U::kLcr) == 0);
    CHECK(b.reg(U::kIer) == 0);
    CHECK(b.reg(U::kMcr) == U::kMcrOut2);
    CHECK(b.reg(U::kLsr) == (U::kLsrThre | U::kLsrTemt));
    CHECK_FALSE(b.irq());
    in.send("r");
    REQUIRE(b.wait_data());
    CHECK(b.reg(U::kRbrThr) == 'r');
}
