// VirtioBlkPlug: makes virtio-blk devices from their QEMU options (system/virtio_blk_options.h) and
// plugs them into the board's virtio-mmio transports, on their drive, in their AioContext (the
// IOThread named by iothread=, else the main loop); unplugs them again and moves them between
// contexts. The hot-plug manager (system/hotplug.h) uses it for device_add/device_del of
// "virtio-blk-device"; the command line's -device goes through the manager too.
//
// Slot choice without bus=: the free transport with the highest address first, as QEMU's virt
// board does (its buses are listed in reverse creation order), so the first such device is
// virtio-mmio-bus.7 at 0x1000_8000.
//
// Threading: the main loop's thread only (plug/unplug/move drain devices and move backends, which
// that thread may do for any AioContext; loop/drainable.h), never under the BQL.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "devices/virtio_mmio.h"
#include "loop/iothread.h"
#include "memory/address_space.h"
#include "system/device_spec.h"
#include "system/drives.h"

namespace locklab {

class VirtioBlkPlug {
public:
    // `transports[i]` is virtio-mmio slot i (virtio-mmio-bus.i). All must outlive the plug.
    VirtioBlkPlug(std::vector<VirtioMmio*> transports, DriveRegistry& drives, IOThreadRegistry& iothreads,
                  AddressSpace& dma, AioContext& main_ctx);

    // Takes the virtio-blk properties out of `spec` (drive, bus, iothread, serial; the caller has
    // taken id), checks nothing else is left, and plugs a new device with id `id`. Returns its
    // slot and the device. Throws DeviceSpecError (bad or unknown property), HotplugError-like
    // std::runtime_error (slot occupied, all slots full, unknown iothread) or DriveError (unknown
    // drive, drive in use), with nothing changed.
    std::pair<unsigned, Ref<VirtioDevice>> plug(std::string_view id, DeviceSpec& spec);
    // Unplugs the device in `slot` (requests in flight complete first; it is unrealized) and frees
    // its drive. Returns the device (empty if the slot was empty).
    Ref<VirtioDevice> unplug(unsigned slot);
    // Moves the device using drive `drive`, and the drive, to `ctx` through a drained section:
    // requests in flight complete in the old context, those the guest queues meanwhile are served
    // in the new one. Throws std::runtime_error if no plugged device uses the drive.
    void move_drive(std::string_view drive, AioContext& ctx);
    // The context named by an iothread id ("" or "main": the main loop). Throws std::runtime_error.
    AioContext& context(std::string_view iothread) const;

    bool slot_free(unsigned slot) const;
    unsigned slots() const { return unsigned(transports_.size()); }

private:
    unsigned pick_slot(const std::optional<unsigned>& wanted) const;
    VirtioMmio& transport(unsigned slot) const;

    const std::vector<VirtioMmio*> transports_;  // immutable; the transports are thread-safe
    DriveRegistry& drives_;
    IOThreadRegistry& iothreads_;
    AddressSpace& dma_;
    AioContext& main_ctx_;
};

}  // namespace locklab
