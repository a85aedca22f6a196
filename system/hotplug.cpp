#include "system/hotplug.h"

#include <cctype>

#include <fmt/format.h>

#include "devices/mmio_scratch.h"
#include "locking/bql.h"
#include "locking/lock_model.h"
#include "locking/rcu.h"
#include "loop/drainable.h"
#include "system/virtio_blk_options.h"
#include "system/virtio_blk_plug.h"

namespace locklab {
namespace {

using SlotType = HotplugController::SlotType;

struct PluggableType {
    std::string_view name;
    SlotType slot_type;
    // Takes its own properties from spec; `ctx` is where the device's asynchronous work runs.
    Ref<MmioDevice> (*make)(DeviceSpec& spec, AioContext& ctx);
};

constexpr PluggableType kTypes[] = {
    {"mmio-scratch", SlotType::MmioScratch,
     [](DeviceSpec& spec, AioContext& ctx) -> Ref<MmioDevice> {
         return make_object<MmioScratch>(spec.take_u64("cost", 0), ctx);
     }},
};

const PluggableType& find_type(std::string_view name)
{
    for (const auto& t : kTypes)
        if (t.name == name) return t;
    std::string known;
    for (const auto& t : kTypes) known += fmt::format("{}{}", known.empty() ? "" : ", ", t.name);
    throw HotplugError(fmt::format("device type '{}' cannot be plugged (available: {})", name, known));
}

// Drops the board's reference on `dev` after a grace period. Dropped in the callback itself, not
// when the callback object is destroyed, so rcu_barrier() returns only once it is gone.
template <class T>
void release_after_grace_period(Ref<T> dev)
{
    rcu_call([d = std::move(dev)]() mutable { d = {}; });
}

bool valid_id(std::string_view id)
{
    if (id.empty()) return false;
    for (char c : id)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
    return true;
}

}  // namespace

HotplugManager::HotplugManager(AddressSpace& as, AioContext& ctx, HotplugController* controller, VcpuFlush flush)
    : as_(as), ctx_(ctx), controller_(controller), flush_(std::move(flush)),
      self_(std::make_shared<HotplugManager*>(this))
{
    if (controller_)
        controller_->set_eject_handler([this, post = poster()](unsigned slot) {
            // On the vCPU that wrote EJECT: only queue the work (the removal runs in the main loop).
            post([this, slot] { on_guest_eject(slot); });
        });
}

HotplugManager::~HotplugManager()
{
    if (controller_) controller_->set_eject_handler({});
    self_.reset();  // work posted from other threads finds the manager gone from here on
    // No vCPU runs any more: take every device out at once, in the protocol's order.
    as_.begin_transaction();
    for (auto& [id, p] : devices_)
        if (p.dev) as_.remove_region(p.dev->mmio());
    as_.commit_transaction();
    for (auto& [id, p] : devices_) {
        quiesce_and_unrealize(p);
        if (controller_) controller_->slot_removed(p.slot);
        if (p.dev) release_after_grace_period(std::move(p.dev));
        else release_after_grace_period(std::move(p.virtio));
    }
}

std::vector<std::string_view> HotplugManager::device_types()
{
    std::vector<std::string_view> names;
    for (const auto& t : kTypes) names.push_back(t.name);
    names.push_back(kVirtioBlkType);
    return names;
}

std::function<void(std::function<void()>)> HotplugManager::poster() const
{
    return [ctx = &ctx_, alive = std::weak_ptr(self_)](std::function<void()> fn) {
        ctx->schedule_oneshot([alive, fn = std::move(fn)] {
            if (!alive.expired()) fn();
        });
    };
}

unsigned HotplugManager::pick_slot(DeviceSpec& spec) const
{
    auto taken = [&](unsigned slot) {
        for (const auto& [id, p] : devices_)
            if (p.slot == slot) return true;
        return false;
    };
    constexpr unsigned first = HotplugController::kFirstResearchSlot;
    constexpr unsigned count = HotplugController::kResearchSlots;
    if (spec.props.contains("slot")) {
        const uint64_t n = spec.take_u64("slot", 0);
        if (n >= count) throw HotplugError(fmt::format("{}: slot={} (research slots are 0..{})", spec.type, n, count - 1));
        if (taken(first + unsigned(n))) throw HotplugError(fmt::format("{}: research slot {} is occupied", spec.type, n));
        return first + unsigned(n);
    }
    for (unsigned s = first; s < first + count; ++s)
        if (!taken(s)) return s;
    throw HotplugError(fmt::format("{}: all {} research slots are occupied", spec.type, count));
}

std::string HotplugManager::device_add(DeviceSpec spec, bool notify_guest)
{
    const bool virtio = spec.type == kVirtioBlkType;
    const PluggableType* type = virtio ? nullptr : &find_type(spec.type);
    std::string id = spec.take("id");
    if (id.empty()) {
        do id = fmt::format("{}.{}", spec.type, next_auto_id_++);
        while (devices_.contains(id));
    }
    if (!valid_id(id))
        throw HotplugError(fmt::format("{}: id '{}' (letters, digits, '-', '_' and '.' only)", spec.type, id));
    if (devices_.contains(id)) throw HotplugError(fmt::format("{}: id '{}' is already in use", spec.type, id));
    if (virtio) {
        add_virtio(id, spec, notify_guest);
        return id;
    }
    const unsigned slot = pick_slot(spec);
    Ref<MmioDevice> dev = type->make(spec, ctx_);
    spec.expect_all_taken();

    dev->set_id(id);
    dev->realize();
    try {
        as_.add_region(HotplugController::slot_base(slot), dev->mmio());
    } catch (...) {
        dev->unrealize();
        throw;
    }
    if (controller_) controller_->slot_inserted(slot, type->slot_type, uint32_t(dev->mmio().size()), notify_guest);
    devices_.emplace(id, Plugged{std::move(dev), slot});
    return id;
}

void HotplugManager::add_virtio(const std::string& id, DeviceSpec& spec, bool notify_guest)
{
    if (!virtio_) throw HotplugError(fmt::format("{}: this machine has no virtio slots", spec.type));
    auto [slot, dev] = virtio_->plug(id, spec);
    if (controller_)
        controller_->slot_inserted(slot, SlotType::VirtioMmio, uint32_t(VirtioMmio::kRegionSize), notify_guest);
    Plugged p;
    p.slot = slot;
    p.virtio = std::move(dev);
    devices_.emplace(id, std::move(p));
}

void HotplugManager::device_del(std::string_view id, bool surprise, DelDone on_done)
{
    auto it = devices_.find(id);
    if (it == devices_.end()) throw HotplugError(fmt::format("device_del: no device '{}'", id));
    Plugged& p = it->second;
    if (p.phase == Phase::Removing) throw HotplugError(fmt::format("device_del: '{}' is already being removed", id));
    if (p.phase == Phase::EjectRequested && !surprise)
        throw HotplugError(fmt::format("device_del: '{}' already waits for the guest to eject it", id));

    if (p.phase == Phase::Live) p.del_called = std::chrono::steady_clock::now();
    if (on_done) {  // a surprise removal during a handshake completes both requests
        p.on_done = [first = std::move(p.on_done), second = std::move(on_done)](const DeviceDelResult& r) {
            if (first) first(r);
            second(r);
        };
    }
    p.surprise = surprise;
    if (!surprise && controller_) {
        p.phase = Phase::EjectRequested;
        controller_->request_eject(p.slot);
        return;
    }
    begin_removal(it->first);  // surprise, or no guest to ask
}

void HotplugManager::on_guest_eject(unsigned slot)
{
    for (auto& [id, p] : devices_)
        if (p.slot == slot && p.phase == Phase::EjectRequested) return begin_removal(id);
    // Otherwise a repeated EJECT, or one that crossed a surprise removal: nothing to do.
}

void HotplugManager::begin_removal(const std::string& id)
{
    Plugged& p = devices_.at(id);
    p.phase = Phase::Removing;
    p.removal_started = std::chrono::steady_clock::now();
    if (p.dev) as_.remove_region(p.dev->mmio());  // 1. unmap
    flush_([] {});                               // 2. queued and kicked, not waited for (3. neither)
    poster()([this, id] { finish_removal(id); });
}

void HotplugManager::finish_removal(const std::string& id)
{
    auto it = devices_.find(id);
    if (it == devices_.end()) return;
    Plugged& p = it->second;
    const auto picked_up = std::chrono::steady_clock::now();
    quiesce_and_unrealize(p);                             // 4, 5.
    if (controller_) controller_->slot_removed(p.slot);  // 6.
    const auto now = std::chrono::steady_clock::now();
    Device* const device = p.dev ? static_cast<Device*>(p.dev.get()) : p.virtio.get();
    DeviceDelResult r{id, p.surprise, now - p.del_called, now - p.removal_started, device};
    r.unmap = picked_up - p.removal_started;
    r.unrealize = now - picked_up;
    DelDone on_done = std::move(p.on_done);
    Ref<MmioDevice> dev = std::move(p.dev);
    Ref<VirtioDevice> virtio = std::move(p.virtio);
    devices_.erase(it);
    if (on_done) on_done(r);
    if (dev) release_after_grace_period(std::move(dev));  // 7.
    else release_after_grace_period(std::move(virtio));
}

void HotplugManager::quiesce_and_unrealize(Plugged& p)
{
    if (p.virtio) virtio_->unplug(p.slot);  // the transport drains and unrealizes it, frees its drive
    else quiesce_and_unrealize(*p.dev);
}

void HotplugManager::quiesce_and_unrealize(MmioDevice& dev)
{
    if (auto* d = dynamic_cast<Drainable*>(&dev)) {
        DrainedSection drained(*d);  // no asynchronous work in flight, none started meanwhile
        unrealize_under_lock(dev);
    } else {
        unrealize_under_lock(dev);
    }
}

void HotplugManager::unrealize_under_lock(MmioDevice& dev)
{
    BqlUnlockGuard unlocked;  // a device lock comes before the BQL: never take it holding the BQL
    LockHold hold = current_lock_model().enter(dev.lock_domain());  // what the dispatch path takes
    dev.unrealize();
}

std::vector<std::string> HotplugManager::device_ids() const
{
    std::vector<std::string> ids;
    for (const auto& [id, p] : devices_) ids.push_back(id);
    return ids;
}

Device* HotplugManager::find(std::string_view id) const
{
    auto it = devices_.find(id);
    if (it == devices_.end()) return nullptr;
    if (it->second.dev) return it->second.dev.get();
    return it->second.virtio.get();
}

size_t HotplugManager::removals_pending() const
{
    size_t n = 0;
    for (const auto& [id, p] : devices_) n += p.phase != Phase::Live;
    return n;
}

}  // namespace locklab
