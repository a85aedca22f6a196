#include "system/virtio_blk_plug.h"

#include <fmt/format.h>

#include "devices/virtio_blk.h"
#include "locking/bql.h"
#include "system/hotplug.h"
#include "system/virtio_blk_options.h"

namespace locklab {

VirtioBlkPlug::VirtioBlkPlug(std::vector<VirtioMmio*> transports, DriveRegistry& drives, IOThreadRegistry& iothreads,
                             AddressSpace& dma, AioContext& main_ctx)
    : transports_(std::move(transports)), drives_(drives), iothreads_(iothreads), dma_(dma), main_ctx_(main_ctx)
{
}

VirtioMmio& VirtioBlkPlug::transport(unsigned slot) const
{
    if (slot >= transports_.size()) throw HotplugError(fmt::format("virtio slot {} does not exist", slot));
    return *transports_[slot];
}

bool VirtioBlkPlug::slot_free(unsigned slot) const { return transport(slot).device() == nullptr; }

unsigned VirtioBlkPlug::pick_slot(const std::optional<unsigned>& wanted) const
{
    if (wanted) {
        if (!slot_free(*wanted))
            throw HotplugError(fmt::format("virtio-mmio-bus.{} already holds a device", *wanted));
        return *wanted;
    }
    for (unsigned s = slots(); s-- > 0;)
        if (slot_free(s)) return s;
    throw HotplugError(fmt::format("all {} virtio-mmio slots hold a device", slots()));
}

AioContext& VirtioBlkPlug::context(std::string_view iothread) const
{
    if (iothread.empty() || iothread == "main") return main_ctx_;
    IOThread* t = iothreads_.find(std::string(iothread));
    if (!t) throw HotplugError(fmt::format("iothread '{}' not found", iothread));
    return t->context();
}

std::pair<unsigned, Ref<VirtioDevice>> VirtioBlkPlug::plug(std::string_view id, DeviceSpec& spec)
{
    const VirtioBlkOptions o = take_virtio_blk_options(spec);
    spec.expect_all_taken();
    const unsigned slot = pick_slot(o.slot);
    AioContext& ctx = context(o.iothread);
    BqlUnlockGuard unlocked;  // drains and plugs never hold the BQL (devices/virtio_mmio.h)
    std::shared_ptr<BlockBackend> backend = drives_.attach(o.drive, id, ctx);
    try {
        Ref<VirtioDevice> dev = make_object<VirtioBlk>(backend, dma_, VirtioBlkConfig{o.serial});
        dev->set_id(std::string(id));
        transport(slot).plug(dev);
        return {slot, std::move(dev)};
    } catch (...) {
        drives_.detach(o.drive);
        throw;
    }
}

Ref<VirtioDevice> VirtioBlkPlug::unplug(unsigned slot)
{
    BqlUnlockGuard unlocked;
    Ref<VirtioDevice> dev = transport(slot).unplug();
    if (auto* blk = dynamic_cast<VirtioBlk*>(dev.get())) drives_.detach(blk->backend().id());
    return dev;
}

void VirtioBlkPlug::move_drive(std::string_view drive, AioContext& ctx)
{
    for (VirtioMmio* t : transports_) {
        auto* blk = dynamic_cast<VirtioBlk*>(t->device());
        if (!blk || blk->backend().id() != drive) continue;
        BqlUnlockGuard unlocked;
        blk->move_to_context(ctx);  // the device moves its backend along (devices/virtio_blk.h)
        return;
    }
    throw HotplugError(fmt::format("drive '{}' is not used by a virtio-blk device", drive));
}

}  // namespace locklab
