// Device tree (devices/fdt_builder.h): parsed back with libfdt, the blob describes the `virt` board as
// QEMU does: nodes, compatibles, reg values, interrupt wiring through phandles, /chosen.
#include <catch2/catch.hpp>

#include <libfdt.h>

#include <set>
#include <string>
#include <vector>

#include "devices/fdt_builder.h"
#include "devices/virt_memmap.h"

using namespace locklab;

namespace {

struct Tree {
    std::vector<uint8_t> blob;
    explicit Tree(const VirtFdtConfig& cfg) : blob(build_virt_fdt(cfg)) {}
    const void* fdt() const { return blob.data(); }

    int node(const std::string& path) const
    {
        const int off = fdt_path_offset(fdt(), path.c_str());
        INFO("node " << path);
        REQUIRE(off >= 0);
        return off;
    }
    bool has(const std::string& path) const { return fdt_path_offset(fdt(), path.c_str()) >= 0; }
    std::vector<uint32_t> cells(const std::string& path, const char* prop) const
    {
        int len = 0;
        const auto* p = static_cast<const fdt32_t*>(fdt_getprop(fdt(), node(path), prop, &len));
        INFO(path << " " << prop);
        REQUIRE(p);
        REQUIRE(len % 4 == 0);
        std::vector<uint32_t> out;
        for (int i = 0; i < len / 4; ++i) out.push_back(fdt32_to_cpu(p[i]));
        return out;
    }
    uint32_t u32(const std::string& path, const char* prop) const
    {
        auto c = cells(path, prop);
        REQUIRE(c.size() == 1);
        return c[0];
    }
    std::string str(const std::string& path, const char* prop) const
    {
        const char* p = static_cast<const char*>(fdt_getprop(fdt(), node(path), prop, nullptr));
        INFO(path << " " << prop);
        REQUIRE(p);
        return p;
    }
    bool compatible(const std::string& path, const char* compat) const
    {
        return fdt_node_check_compatible(fdt(), node(path), compat) == 0;
    }
    bool has_prop(const std::string& path, const char* prop) const
    {
        return fdt_getprop(fdt(), node(path), prop, nullptr) != nullptr;
    }
    uint32_t phandle(const std::string& path) const { return fdt_get_phandle(fdt(), node(path)); }
};

std::vector<uint32_t> reg(uint64_t base, uint64_t size)
{
    return {uint32_t(base >> 32), uint32_t(base), uint32_t(size >> 32), uint32_t(size)};
}

}  // namespace

TEST_CASE("The device tree is a valid blob with the virt board's nodes", "[devices][fdt]")
{
    Tree t({2, 256ull << 20, "console=ttyS0"});
    REQUIRE(fdt_check_header(t.fdt()) == 0);
    CHECK(fdt_totalsize(t.fdt()) == t.blob.size());
    for (const char* path : {"/chosen", "/memory@80000000", "/cpus", "/cpus/cpu@0", "/cpus/cpu@1",
                             "/cpus/cpu@0/interrupt-controller", "/soc", "/soc/clint@2000000",
                             "/soc/plic@c000000", "/soc/serial@10000000", "/soc/rtc@101000",
                             "/soc/test@100000", "/poweroff", "/reboot"})
        CHECK(t.has(path));
    CHECK_FALSE(t.has("/cpus/cpu@2"));
    CHECK(t.u32("/", "#address-cells") == 2);
    CHECK(t.u32("/", "#size-cells") == 2);
}

TEST_CASE("CPU nodes describe RV64IMAC harts with Sv39 and a 10 MHz timebase", "[devices][fdt]")
{
    Tree t({2, 128ull << 20, ""});
    CHECK(t.u32("/cpus", "timebase-frequency") == 10'000'000);
    CHECK(t.u32("/cpus", "#address-cells") == 1);
    CHECK(t.u32("/cpus", "#size-cells") == 0);
    for (unsigned h = 0; h < 2; ++h) {
        const std::string cpu = "/cpus/cpu@" + std::to_string(h);
        CHECK(t.u32(cpu, "reg") == h);
        CHECK(t.str(cpu, "device_type") == "cpu");
        CHECK(t.str(cpu, "status") == "okay");
        CHECK(t.compatible(cpu, "riscv"));
        CHECK(t.str(cpu, "riscv,isa") == "rv64imac_zicsr_zifencei");
        CHECK(t.str(cpu, "mmu-type") == "riscv,sv39");
        const std::string intc = cpu + "/interrupt-controller";
        CHECK(t.compatible(intc, "riscv,cpu-intc"));
        CHECK(t.u32(intc, "#interrupt-cells") == 1);
        CHECK(t.has_prop(intc, "interrupt-controller"));
    }
}

TEST_CASE("Memory and device reg properties hold the virt addresses", "[devices][fdt]")
{
    Tree t({1, 256ull << 20, ""});
    CHECK(t.str("/memory@80000000", "device_type") == "memory");
    CHECK(t.cells("/memory@80000000", "reg") == reg(virt::kDramBase, 256ull << 20));
    CHECK(t.cells("/soc/clint@2000000", "reg") == reg(virt::kClintBase, virt::kClintSize));
    CHECK(t.cells("/soc/plic@c000000", "reg") == reg(virt::kPlicBase, virt::kPlicSize));
    CHECK(t.cells("/soc/serial@10000000", "reg") == reg(virt::kUartBase, virt::kUartSize));
    CHECK(t.cells("/soc/rtc@101000", "reg") == reg(virt::kRtcBase, virt::kRtcSize));
    CHECK(t.cells("/soc/test@100000", "reg") == reg(virt::kTestBase, virt::kTestSize));
}

TEST_CASE("Interrupts are wired through phandles: CLINT to MSI/MTI, PLIC to MEI/SEI, devices to the PLIC",
          "[devices][fdt]")
{
    Tree t({2, 128ull << 20, ""});
    const uint32_t intc0 = t.phandle("/cpus/cpu@0/interrupt-controller");
    const uint32_t intc1 = t.phandle("/cpus/cpu@1/interrupt-controller");
    const uint32_t plic = t.phandle("/soc/plic@c000000");
    const uint32_t test = t.phandle("/soc/test@100000");
    CHECK(std::set<uint32_t>{intc0, intc1, plic, test}.size() == 4);
    CHECK(intc0 != 0);
    CHECK(t.cells("/soc/clint@2000000", "interrupts-extended") ==
          std::vector<uint32_t>{intc0, 3, intc0, 7, intc1, 3, intc1, 7});
    CHECK(t.cells("/soc/plic@c000000", "interrupts-extended") ==
          std::vector<uint32_t>{intc0, 11, intc0, 9, intc1, 11, intc1, 9});
    CHECK(t.u32("/soc/plic@c000000", "riscv,ndev") == 95);
    CHECK(t.u32("/soc/plic@c000000", "#interrupt-cells") == 1);
    CHECK(t.has_prop("/soc/plic@c000000", "interrupt-controller"));
    CHECK(t.u32("/soc/serial@10000000", "interrupts") == 10);
    CHECK(t.u32("/soc/serial@10000000", "interrupt-parent") == plic);
    CHECK(t.u32("/soc/rtc@101000", "interrupts") == 11);
    CHECK(t.u32("/soc/rtc@101000", "interrupt-parent") == plic);
}

TEST_CASE("Devices carry QEMU's compatible strings and the UART its clock", "[devices][fdt]")
{
    Tree t({1, 128ull << 20, ""});
    CHECK(t.compatible("/soc/clint@2000000", "sifive,clint0"));
    CHECK(t.compatible("/soc/clint@2000000", "riscv,clint0"));
    CHECK(t.compatible("/soc/plic@c000000", "sifive,plic-1.0.0"));
    CHECK(t.compatible("/soc/plic@c000000", "riscv,plic0"));
    CHECK(t.compatible("/soc/serial@10000000", "ns16550a"));
    CHECK(t.u32("/soc/serial@10000000", "clock-frequency") == 0x384000);
    CHECK(t.compatible("/soc/rtc@101000", "google,goldfish-rtc"));
    for (const char* c : {"sifive,test1", "sifive,test0", "syscon"}) CHECK(t.compatible("/soc/test@100000", c));
}

TEST_CASE("Poweroff and reboot are syscon nodes writing the finisher's pass and reset values",
          "[devices][fdt]")
{
    Tree t({1, 128ull << 20, ""});
    const uint32_t test = t.phandle("/soc/test@100000");
    CHECK(t.compatible("/poweroff", "syscon-poweroff"));
    CHECK(t.u32("/poweroff", "regmap") == test);
    CHECK(t.u32("/poweroff", "offset") == 0);
    CHECK(t.u32("/poweroff", "value") == 0x5555);
    CHECK(t.compatible("/reboot", "syscon-reboot"));
    CHECK(t.u32("/reboot", "regmap") == test);
    CHECK(t.u32("/reboot", "value") == 0x7777);
}

TEST_CASE("/chosen names the UART as stdout and carries the bootargs when there are any", "[devices][fdt]")
{
    Tree t({1, 128ull << 20, "console=ttyS0 earlycon"});
    const std::string stdout_path = t.str("/chosen", "stdout-path");
    CHECK(stdout_path == "/soc/serial@10000000");
    CHECK(t.has(stdout_path));
    CHECK(t.str("/chosen", "bootargs") == "console=ttyS0 earlycon");
    Tree none({1, 128ull << 20, ""});
    CHECK_FALSE(none.has_prop("/chosen", "bootargs"));
}

TEST_CASE("A tree for many harts outgrows the first buffer and stays valid", "[devices][fdt]")
{
    Tree t({64, 1ull << 30, ""});
    REQUIRE(fdt_check_header(t.fdt()) == 0);
    CHECK(t.blob.size() > 4096);
    CHECK(t.u32("/cpus/cpu@63", "reg") == 63);
    CHECK(t.cells("/soc/plic@c000000", "interrupts-extended").size() == 64 * 4);
}

TEST_CASE("The hot-plug controller is described with its compatible, registers and PLIC source",
          "[devices][fdt][hotplug]")
{
    Tree t({1, 128ull << 20, ""});
    const std::string node = "/soc/hotplug@102000";
    CHECK(t.compatible(node, "locklab,hotplug-controller-1"));
    CHECK(t.cells(node, "reg") == reg(virt::kHotplugBase, virt::kHotplugSize));
    CHECK(t.u32(node, "interrupts") == virt::kHotplugIrq);
    CHECK(t.u32(node, "interrupt-parent") == t.phandle("/soc/plic@c000000"));
}
