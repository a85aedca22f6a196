#include "devices/fdt_builder.h"

#include <fmt/format.h>

#include "devices/fdt_writer.h"
#include "devices/test_finisher.h"
#include "devices/virt_memmap.h"

namespace locklab {

namespace {

// Phandles: hart N's interrupt controller is 1 + N; the PLIC and the finisher follow.
struct Phandles {
    explicit Phandles(unsigned harts) : plic(1 + harts), test(2 + harts) {}
    static uint32_t intc(unsigned hart) { return 1 + hart; }
    const uint32_t plic, test;
};

std::string node(const char* name, uint64_t addr) { return fmt::format("{}@{:x}", name, addr); }

void add_cpus(FdtWriter& w, unsigned harts)
{
    w.begin_node("cpus");
    w.prop_u32("#address-cells", 1);
    w.prop_u32("#size-cells", 0);
    w.prop_u32("timebase-frequency", uint32_t(virt::kTimebaseHz));
    for (unsigned h = 0; h < harts; ++h) {
        w.begin_node(fmt::format("cpu@{}", h));  // QEMU: decimal hart ids
        w.prop_string("device_type", "cpu");
        w.prop_u32("reg", h);
        w.prop_string("status", "okay");
        w.prop_string("compatible", "riscv");
        w.prop_string("riscv,isa", "rv64imac_zicsr_zifencei");
        w.prop_string("mmu-type", "riscv,sv39");
        w.begin_node("interrupt-controller");
        w.prop_u32("#interrupt-cells", 1);
        w.prop_empty("interrupt-controller");
        w.prop_string("compatible", "riscv,cpu-intc");
        w.prop_u32("phandle", Phandles::intc(h));
        w.end_node();
        w.end_node();
    }
    w.end_node();
}

// interrupts-extended: <intc(hart) line...> for every hart, in hart order.
std::vector<uint32_t> per_hart_lines(unsigned harts, std::initializer_list<uint32_t> lines)
{
    std::vector<uint32_t> cells;
    for (unsigned h = 0; h < harts; ++h)
        for (uint32_t l : lines) cells.insert(cells.end(), {Phandles::intc(h), l});
    return cells;
}

void add_soc(FdtWriter& w, unsigned harts, const Phandles& ph)
{
    w.begin_node("soc");
    w.prop_u32("#address-cells", 2);
    w.prop_u32("#size-cells", 2);
    w.prop_string("compatible", "simple-bus");
    w.prop_empty("ranges");

    w.begin_node(node("test", virt::kTestBase));
    w.prop_strings("compatible", {"sifive,test1", "sifive,test0", "syscon"});
    w.prop_reg64("reg", virt::kTestBase, virt::kTestSize);
    w.prop_u32("phandle", ph.test);
    w.end_node();

    w.begin_node(node("rtc", virt::kRtcBase));
    w.prop_string("compatible", "google,goldfish-rtc");
    w.prop_reg64("reg", virt::kRtcBase, virt::kRtcSize);
    w.prop_u32("interrupts", virt::kRtcIrq);
    w.prop_u32("interrupt-parent", ph.plic);
    w.end_node();

    w.begin_node(node("hotplug", virt::kHotplugBase));  // locklab's own (devices/hotplug_controller.h)
    w.prop_string("compatible", "locklab,hotplug-controller-1");
    w.prop_reg64("reg", virt::kHotplugBase, virt::kHotplugSize);
    w.prop_u32("interrupts", virt::kHotplugIrq);
    w.prop_u32("interrupt-parent", ph.plic);
    w.end_node();

    w.begin_node(node("clint", virt::kClintBase));
    w.prop_strings("compatible", {"sifive,clint0", "riscv,clint0"});
    w.prop_reg64("reg", virt::kClintBase, virt::kClintSize);
    w.prop_cells("interrupts-extended", per_hart_lines(harts, {virt::kHartMsi, virt::kHartMti}));
    w.end_node();

    w.begin_node(node("plic", virt::kPlicBase));
    w.prop_strings("compatible", {"sifive,plic-1.0.0", "riscv,plic0"});
    w.prop_reg64("reg", virt::kPlicBase, virt::kPlicSize);
    w.prop_u32("#address-cells", 0);
    w.prop_u32("#interrupt-cells", 1);
    w.prop_empty("interrupt-controller");
    w.prop_cells("interrupts-extended", per_hart_lines(harts, {virt::kHartMei, virt::kHartSei}));
    w.prop_u32("riscv,ndev", virt::kPlicSources - 1);
    w.prop_u32("phandle", ph.plic);
    w.end_node();

    // One virtio-mmio transport per slot, empty or not (QEMU's virt describes all eight).
    for (uint64_t slot = 0; slot < virt::kVirtioSlots; ++slot) {
        const uint64_t base = virt::kVirtioBase + slot * virt::kVirtioStride;
        w.begin_node(node("virtio_mmio", base));
        w.prop_string("compatible", "virtio,mmio");
        w.prop_reg64("reg", base, virt::kVirtioStride);
        w.prop_u32("interrupts", uint32_t(virt::kVirtioIrqBase + slot));
        w.prop_u32("interrupt-parent", ph.plic);
        w.end_node();
    }

    w.begin_node(node("serial", virt::kUartBase));
    w.prop_string("compatible", "ns16550a");
    w.prop_reg64("reg", virt::kUartBase, virt::kUartSize);
    w.prop_u32("clock-frequency", uint32_t(virt::kUartClockHz));
    w.prop_u32("interrupts", virt::kUartIrq);
    w.prop_u32("interrupt-parent", ph.plic);
    w.end_node();

    w.end_node();
}

// QEMU puts these at the root: Linux's syscon-poweroff/-reboot drivers write `value` to the finisher.
void add_syscon(FdtWriter& w, const char* name, const char* compatible, uint32_t value, uint32_t regmap)
{
    w.begin_node(name);
    w.prop_string("compatible", compatible);
    w.prop_u32("regmap", regmap);
    w.prop_u32("offset", 0);
    w.prop_u32("value", value);
    w.end_node();
}

}  // namespace

std::vector<uint8_t> build_virt_fdt(const VirtFdtConfig& cfg)
{
    const Phandles ph(cfg.harts);
    FdtWriter w;
    w.prop_u32("#address-cells", 2);
    w.prop_u32("#size-cells", 2);
    w.prop_string("compatible", "riscv-virtio");
    w.prop_string("model", "riscv-virtio,qemu");

    w.begin_node("chosen");
    w.prop_string("stdout-path", node("/soc/serial", virt::kUartBase));
    if (!cfg.bootargs.empty()) w.prop_string("bootargs", cfg.bootargs);
    w.end_node();

    w.begin_node(node("memory", virt::kDramBase));
    w.prop_string("device_type", "memory");
    w.prop_reg64("reg", virt::kDramBase, cfg.ram_size);
    w.end_node();

    add_cpus(w, cfg.harts);
    add_soc(w, cfg.harts, ph);
    add_syscon(w, "poweroff", "syscon-poweroff", TestFinisher::kPass, ph.test);
    add_syscon(w, "reboot", "syscon-reboot", TestFinisher::kReset, ph.test);
    return w.finish();
}

}  // namespace locklab
