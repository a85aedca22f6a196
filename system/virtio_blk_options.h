// The properties of a virtio-blk device as QEMU spells them (`-device virtio-blk-device,drive=d0,
// bus=virtio-mmio-bus.3,iothread=io0,serial=S,id=ID`, and the same in device_add): one parser for
// the command line (which checks the names it refers to) and the hot-plug manager (which plugs it).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "system/device_spec.h"

namespace locklab {

inline constexpr std::string_view kVirtioBlkType = "virtio-blk-device";

struct VirtioBlkOptions {
    std::string drive;             // drive=ID: a -drive (system/drives.h); required
    std::optional<unsigned> slot;  // bus=virtio-mmio-bus.N (N = 0..7); none: the free slot with the
                                   // highest address, as QEMU's virt board picks it
    std::string iothread;          // iothread=ID: requests are served in that IOThread; empty: main loop
    std::string serial;            // serial=: the id VIRTIO_BLK_T_GET_ID returns (at most 20 bytes used)
};

// Takes drive, bus, iothread and serial out of `spec` (other properties stay, for the caller's
// expect_all_taken). Throws DeviceSpecError for a missing drive= or a bus that is not
// virtio-mmio-bus.0 .. virtio-mmio-bus.7.
VirtioBlkOptions take_virtio_blk_options(DeviceSpec& spec);

}  // namespace locklab
