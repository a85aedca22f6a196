#include "devices/virt_board.h"

#include <stdexcept>

#include <fmt/format.h>

#include "devices/fdt_builder.h"
#include "devices/virt_memmap.h"

namespace locklab {

namespace {

const VirtBoardConfig& checked(const VirtBoardConfig& cfg, size_t sinks)
{
    if (cfg.harts == 0 || cfg.harts > virt::kMaxHarts)
        throw std::invalid_argument(fmt::format("virt: {} harts (1..{} supported)", cfg.harts, virt::kMaxHarts));
    if (sinks != cfg.harts)
        throw std::invalid_argument(fmt::format("virt: {} harts but {} interrupt sinks", cfg.harts, sinks));
    if (cfg.ram_size == 0 || cfg.ram_size % 4096 || cfg.ram_size > ~virt::kDramBase)
        throw std::invalid_argument(fmt::format("virt: RAM size {:#x} must be a non-zero multiple of 4 KiB "
                                                "that fits above {:#x}", cfg.ram_size, virt::kDramBase));
    return cfg;
}

std::vector<Clint::HartLines> clint_lines(const std::vector<IrqSink*>& harts)
{
    std::vector<Clint::HartLines> lines;
    for (IrqSink* h : harts) lines.push_back({IrqLine(h, virt::kHartMsi), IrqLine(h, virt::kHartMti)});
    return lines;
}

// PLIC contexts: 2N = hart N in M-mode (MEI), 2N+1 = hart N in S-mode (SEI).
std::vector<IrqLine> plic_context_lines(const std::vector<IrqSink*>& harts)
{
    std::vector<IrqLine> lines;
    for (IrqSink* h : harts) {
        lines.emplace_back(h, virt::kHartMei);
        lines.emplace_back(h, virt::kHartSei);
    }
    return lines;
}

}  // namespace

VirtBoard::VirtBoard(const VirtBoardConfig& cfg, AddressSpace& as, AioContext& main_ctx,
                     std::vector<IrqSink*> hart_irq_sinks)
    : cfg_(checked(cfg, hart_irq_sinks.size())),
      as_(as),
      ram_(MemoryRegion::make_ram("virt.ram", cfg.ram_size)),
      finisher_(make_object<TestFinisher>(virt::kTestSize)),
      clint_(make_object<Clint>(virt::kClintSize, virt::kTimebaseHz, main_ctx, clint_lines(hart_irq_sinks))),
      plic_(make_object<Plic>(virt::kPlicSize, virt::kPlicSources, virt::kPlicPriorityBits,
                              plic_context_lines(hart_irq_sinks))),
      rtc_(make_object<GoldfishRtc>(virt::kRtcSize, main_ctx, IrqLine(plic_.get(), virt::kRtcIrq))),
      hotplug_(make_object<HotplugController>(virt::kHotplugSize, IrqLine(plic_.get(), virt::kHotplugIrq))),
      uart_(make_object<Uart16550>(virt::kUartSize, virt::kUartClockHz, main_ctx,
                                   IrqLine(plic_.get(), virt::kUartIrq), make_char_sink(cfg.serial_out_path),
                                   cfg.serial_in_fd))
{
    for (unsigned i = 0; i < virt::kVirtioSlots; ++i)
        virtio_.push_back(make_object<VirtioMmio>(IrqLine(plic_.get(), virt::kVirtioIrqBase + i), cfg.virtio_legacy,
                                                   cfg.virtio_ioeventfd));
    std::vector<MmioDevice*> realized;
    try {
        for (auto [dev, base] : placements()) {
            dev->realize();
            realized.push_back(dev);
        }
    } catch (...) {
        for (MmioDevice* d : realized) d->unrealize();
        throw;
    }
    reset();                  // power-on state, as QEMU resets the machine before it starts
    as_.begin_transaction();  // one FlatView for the whole board
    as_.add_region(virt::kDramBase, *ram_);
    for (auto [dev, base] : placements()) as_.add_region(base, dev->mmio());
    as_.commit_transaction();
}

VirtBoard::~VirtBoard()
{
    as_.begin_transaction();
    as_.remove_region(*ram_);
    for (auto [dev, base] : placements()) as_.remove_region(dev->mmio());
    as_.commit_transaction();
    for (auto [dev, base] : placements()) dev->unrealize();
    // The replaced FlatView still names the RAM region until its deferred free has run.
    rcu_barrier();
}

std::vector<std::pair<MmioDevice*, uint64_t>> VirtBoard::placements() const
{
    std::vector<std::pair<MmioDevice*, uint64_t>> p{
        {finisher_.get(), virt::kTestBase}, {rtc_.get(), virt::kRtcBase},   {hotplug_.get(), virt::kHotplugBase},
        {clint_.get(), virt::kClintBase},   {plic_.get(), virt::kPlicBase}, {uart_.get(), virt::kUartBase}};
    for (unsigned i = 0; i < virtio_.size(); ++i) p.emplace_back(virtio_[i].get(), virt::kVirtioBase + i * virt::kVirtioStride);
    return p;
}

VirtioMmio& VirtBoard::virtio_slot(unsigned i)
{
    if (i >= virtio_.size())
        throw std::out_of_range(fmt::format("virt: virtio-mmio slot {} (0..{} exist)", i, virtio_.size() - 1));
    return *virtio_[i];
}

void VirtBoard::reset()
{
    for (auto [dev, base] : placements()) dev->reset();
}

std::vector<uint8_t> VirtBoard::build_fdt() const
{
    return build_virt_fdt({cfg_.harts, cfg_.ram_size, cfg_.bootargs});
}

void VirtBoard::set_shutdown_handler(std::function<void(ShutdownRequest)> h)
{
    finisher_->set_handler(std::move(h));
}

}  // namespace locklab
