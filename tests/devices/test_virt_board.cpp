// VirtBoard (devices/virt_board.h): everything mapped at the `virt` addresses, interrupts wired from
// the devices through the PLIC and the CLINT to the right hart lines, clean teardown, config errors.
#include <catch2/catch.hpp>

#include <libfdt.h>
#include <unistd.h>

#include <optional>
#include <vector>

#include "device_fixture.h"
#include "devices/virt_board.h"
#include "devices/virt_memmap.h"

using namespace locklab;
using namespace locklab::test;

namespace {

struct BoardBench {
    AioContext ctx{"board-test"};
    FakeIrqSink hart[2];
    TempFile serial_out;
    AddressSpace as{"board-test"};
    std::optional<VirtBoard> board;
    std::vector<ShutdownRequest> shutdowns;

    explicit BoardBench(int serial_in_fd = -1)
    {
        VirtBoardConfig cfg;
        cfg.harts = 2;
        cfg.ram_size = 16ull << 20;
        cfg.serial_out_path = serial_out.path();
        cfg.serial_in_fd = serial_in_fd;
        cfg.bootargs = "quiet";
        board.emplace(cfg, as, ctx, std::vector<IrqSink*>{&hart[0], &hart[1]});
        board->set_shutdown_handler([this](ShutdownRequest r) { shutdowns.push_back(r); });
    }

    // Let PLIC source `irq` through to context `ctx` with priority 1.
    void route(unsigned irq, unsigned plic_ctx)
    {
        write_reg(as, virt::kPlicBase + 4 * irq, 4, 1);
        const hwaddr en = virt::kPlicBase + Plic::kEnableBase + Plic::kEnableStride * plic_ctx + 4 * (irq / 32);
        write_reg(as, en, 4, read_reg(as, en, 4) | 1u << (irq % 32));
    }
    uint64_t claim(unsigned plic_ctx)
    {
        return read_reg(as, virt::kPlicBase + Plic::kContextBase + Plic::kContextStride * plic_ctx + 4, 4);
    }
};

}  // namespace

TEST_CASE("The board maps RAM and every device at its virt address", "[devices][board]")
{
    BoardBench b;
    write_reg(b.as, virt::kDramBase, 8, 0x1122334455667788);
    write_reg(b.as, virt::kDramBase + (16ull << 20) - 8, 8, 42);
    CHECK(read_reg(b.as, virt::kDramBase, 8) == 0x1122334455667788);
    CHECK(b.board->ram().size() == 16ull << 20);
    CHECK(read_reg(b.as, virt::kClintBase + Clint::kMtime, 8) > 0);
    write_reg(b.as, virt::kUartBase + Uart16550::kScr, 1, 0x5a);
    CHECK(read_reg(b.as, virt::kUartBase + Uart16550::kScr, 1) == 0x5a);
    CHECK(read_reg(b.as, virt::kRtcBase + GoldfishRtc::kTimeLow, 4) != 0);
    write_reg(b.as, virt::kPlicBase + 4, 4, 6);
    CHECK(read_reg(b.as, virt::kPlicBase + 4, 4) == 6);
    write_reg(b.as, virt::kTestBase, 4, 0x5555);
    REQUIRE(b.shutdowns.size() == 1);
    CHECK(b.shutdowns[0].kind == ShutdownRequest::Kind::Pass);
    uint64_t v = 0;
    CHECK(b.as.read(virt::kDramBase + (16ull << 20), 4, v) == MemTx::Unassigned);
    CHECK(b.as.read(0x3000'0000, 4, v) == MemTx::Unassigned);
}

TEST_CASE("The UART's interrupt reaches hart 0's MEI through PLIC source 10", "[devices][board]")
{
    BoardBench b;
    b.route(virt::kUartIrq, 0);
    write_reg(b.as, virt::kUartBase + Uart16550::kIer, 1, Uart16550::kIerThri);
    CHECK(b.hart[0].level(virt::kHartMei));
    CHECK_FALSE(b.hart[1].level(virt::kHartMei));
    CHECK(b.claim(0) == virt::kUartIrq);
    CHECK_FALSE(b.hart[0].level(virt::kHartMei));
}

TEST_CASE("The RTC's interrupt reaches hart 1's SEI through PLIC source 11", "[devices][board]")
{
    BoardBench b;
    b.route(virt::kRtcIrq, 3);  // context 3 = hart 1, S-mode
    write_reg(b.as, virt::kRtcBase + GoldfishRtc::kIrqEnabled, 4, 1);
    write_reg(b.as, virt::kRtcBase + GoldfishRtc::kAlarmHigh, 4, 0);
    write_reg(b.as, virt::kRtcBase + GoldfishRtc::kAlarmLow, 4, 1);  // long past: fires at once
    CHECK(b.hart[1].level(virt::kHartSei));
    CHECK(b.claim(3) == virt::kRtcIrq);
}

TEST_CASE("The CLINT drives each hart's MSI and MTI lines", "[devices][board]")
{
    BoardBench b;
    write_reg(b.as, virt::kClintBase + Clint::kMsipBase + 4, 4, 1);
    CHECK(b.hart[1].level(virt::kHartMsi));
    CHECK_FALSE(b.hart[0].level(virt::kHartMsi));
    write_reg(b.as, virt::kClintBase + Clint::kMtimecmpBase + 8, 8, ~0ull);
    CHECK_FALSE(b.hart[1].level(virt::kHartMti));
    CHECK(b.hart[0].level(virt::kHartMti));
    CHECK(b.board->clint().mtime() >= read_reg(b.as, virt::kClintBase + Clint::kMtime, 8) - 1);
}

TEST_CASE("At power-on mtime starts near 0 and MTI is pending on every hart, as on QEMU", "[devices][board]")
{
    BoardBench b;
    CHECK(read_reg(b.as, virt::kClintBase + Clint::kMtime, 8) < 10'000'000);  // well under a second
    CHECK(b.hart[0].level(virt::kHartMti));
    CHECK(b.hart[1].level(virt::kHartMti));
    CHECK_FALSE(b.hart[0].level(virt::kHartMei));
}

TEST_CASE("A board reset returns the devices to their power-on state", "[devices][board]")
{
    BoardBench b;
    b.route(virt::kUartIrq, 0);
    write_reg(b.as, virt::kUartBase + Uart16550::kIer, 1, Uart16550::kIerThri);
    write_reg(b.as, virt::kClintBase + Clint::kMsipBase, 4, 1);
    REQUIRE(b.hart[0].level(virt::kHartMei));
    b.board->reset();
    CHECK_FALSE(b.hart[0].level(virt::kHartMei));
    CHECK_FALSE(b.hart[0].level(virt::kHartMsi));
    CHECK(read_reg(b.as, virt::kUartBase + Uart16550::kIer, 1) == 0);
    CHECK(read_reg(b.as, virt::kPlicBase + 4 * virt::kUartIrq, 4) == 0);
}

TEST_CASE("Serial output goes to the configured file and input comes from the configured fd",
          "[devices][board]")
{
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    {
        BoardBench b(fds[0]);
        write_reg(b.as, virt::kUartBase, 1, 'o');
        write_reg(b.as, virt::kUartBase, 1, 'k');
        CHECK(b.serial_out.contents() == "ok");
        REQUIRE(write(fds[1], "i", 1) == 1);
        REQUIRE(poll_until(b.ctx, [&] { return read_reg(b.as, virt::kUartBase + Uart16550::kLsr, 1) & 1; }));
        CHECK(read_reg(b.as, virt::kUartBase, 1) == 'i');
    }
    close(fds[0]);
    close(fds[1]);
}

TEST_CASE("build_fdt describes the configured harts, RAM and bootargs", "[devices][board]")
{
    BoardBench b;
    const std::vector<uint8_t> fdt = b.board->build_fdt();
    REQUIRE(fdt_check_header(fdt.data()) == 0);
    CHECK(fdt_path_offset(fdt.data(), "/cpus/cpu@1") >= 0);
    CHECK(fdt_path_offset(fdt.data(), "/cpus/cpu@2") < 0);
    const int mem = fdt_path_offset(fdt.data(), "/memory@80000000");
    int len = 0;
    const auto* reg = static_cast<const fdt32_t*>(fdt_getprop(fdt.data(), mem, "reg", &len));
    REQUIRE(len == 16);
    CHECK(fdt32_to_cpu(reg[3]) == 16u << 20);
    const int chosen = fdt_path_offset(fdt.data(), "/chosen");
    CHECK(std::string(static_cast<const char*>(fdt_getprop(fdt.data(), chosen, "bootargs", nullptr))) == "quiet");
}

TEST_CASE("Destroying the board unmaps and unrealizes every device", "[devices][board]")
{
    BoardBench b;
    Ref<Clint> clint(&b.board->clint());
    Ref<Uart16550> uart(&b.board->uart());
    write_reg(b.as, virt::kClintBase + Clint::kMtimecmpBase, 8, ~0ull);  // an armed timer
    b.board.reset();
    CHECK_FALSE(clint->realized());
    CHECK_FALSE(uart->realized());
    uint64_t v = 0;
    CHECK(b.as.read(virt::kClintBase + Clint::kMtime, 8, v) == MemTx::Unassigned);
    CHECK(b.as.read(virt::kDramBase, 8, v) == MemTx::Unassigned);
    CHECK(clint->ref_count() == 1);  // the board and the old memory maps let go; ours is the last
    poll_ready(b.ctx);
}

TEST_CASE("Bad board configurations are refused with a clear error", "[devices][board]")
{
    AioContext ctx("board-config");
    AddressSpace as("board-config");
    FakeIrqSink hart;
    auto make = [&](VirtBoardConfig cfg, std::vector<IrqSink*> sinks) { VirtBoard board(cfg, as, ctx, sinks); };
    VirtBoardConfig ok;
    ok.serial_in_fd = -1;
    ok.ram_size = 1ull << 20;

    VirtBoardConfig no_harts = ok;
    no_harts.harts = 0;
    CHECK_THROWS_WITH(make(no_harts, {}), Catch::Contains("harts"));
    CHECK_THROWS_WITH(make(ok, {&hart, &hart}), Catch::Contains("interrupt sinks"));
    VirtBoardConfig no_ram = ok;
    no_ram.ram_size = 0;
    CHECK_THROWS_WITH(make(no_ram, {&hart}), Catch::Contains("RAM size"));
    VirtBoardConfig bad_out = ok;
    bad_out.serial_out_path = "/nonexistent-dir/serial.txt";
    CHECK_THROWS_WITH(make(bad_out, {&hart}), Catch::Contains("/nonexistent-dir/serial.txt"));
    VirtBoardConfig bad_in = ok;
    bad_in.serial_in_fd = 1000;
    CHECK_THROWS_WITH(make(bad_in, {&hart}), Catch::Contains("serial input fd 1000"));
    uint64_t v = 0;
    CHECK(as.read(virt::kUartBase, 1, v) == MemTx::Unassigned);  // nothing stayed mapped
}

TEST_CASE("The hot-plug controller is mapped at its address and its events reach the PLIC as source 12",
          "[devices][board][hotplug]")
{
    BoardBench b;
    CHECK(read_reg(b.as, virt::kHotplugBase + HotplugController::kMagic, 4) == HotplugController::kMagicValue);
    b.route(virt::kHotplugIrq, 0);
    CHECK_FALSE(b.hart[0].level(virt::kHartMei));
    b.board->hotplug().slot_inserted(HotplugController::kFirstResearchSlot, HotplugController::SlotType::MmioScratch,
                                     0x1000, true);
    CHECK(b.hart[0].level(virt::kHartMei));
    CHECK(b.claim(0) == virt::kHotplugIrq);
}
