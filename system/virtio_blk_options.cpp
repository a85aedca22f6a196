#include "system/virtio_blk_options.h"

#include <charconv>

#include <fmt/format.h>

#include "devices/virt_memmap.h"

namespace locklab {

namespace {

constexpr std::string_view kBusPrefix = "virtio-mmio-bus.";

unsigned parse_bus(const DeviceSpec& spec, std::string_view bus)
{
    unsigned n = 0;
    const std::string_view digits = bus.substr(std::min(bus.size(), kBusPrefix.size()));
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (!bus.starts_with(kBusPrefix) || digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
        n >= virt::kVirtioSlots)
        throw DeviceSpecError(fmt::format("{}: bus={} (the virtio buses are {}0 .. {}{})", spec.type, bus, kBusPrefix,
                                          kBusPrefix, virt::kVirtioSlots - 1));
    return n;
}

}  // namespace

VirtioBlkOptions take_virtio_blk_options(DeviceSpec& spec)
{
    VirtioBlkOptions o;
    o.drive = spec.take("drive");
    if (o.drive.empty()) throw DeviceSpecError(fmt::format("{}: drive property not set (drive=ID of a -drive)", spec.type));
    if (const std::string bus = spec.take("bus"); !bus.empty()) o.slot = parse_bus(spec, bus);
    o.iothread = spec.take("iothread");
    o.serial = spec.take("serial");
    return o;
}

}  // namespace locklab
