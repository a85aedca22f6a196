// HotplugManager: device_add and device_del for the machine (DESIGN.md "Hot-plug and hot-unplug");
// the QMP monitor will call the same two functions. Pluggable today: mmio-scratch, into the 16
// research slots of the hot-plug controller (devices/hotplug_controller.h), and virtio-blk-device,
// into the board's virtio-mmio transports (the controller's slots 0..7) through a VirtioBlkPlug
// (system/virtio_blk_plug.h; set_virtio_plug). A virtio device has no region of its own: step 1
// below does nothing for it (its transport stays mapped), and steps 4 and 5 are the transport's
// unplug, which stops forwarding, drains the device and unrealizes it; its drive is freed.
//
// device_add(spec): create the device, realize it, map it (a new FlatView published under RCU),
// tell the controller (slot present, event, interrupt).
//
// device_del(id, surprise, on_done): without `surprise`, a handshake: the controller sets the slot's
// EJECT_REQUEST and interrupts; nothing else happens until the guest, having quiesced its driver,
// writes EJECT. With `surprise` (or once the guest ejected), the removal, in this order:
//   1. unmap: a new FlatView without the device is published;
//   2. every vCPU is asked to flush its TLB and decoded code before it next enters run() (cross-vCPU
//      work, which also kicks it out of its RCU read section). The removal does not wait for it:
//      a TLB maps MMIO pages to a guest-physical address only, and every MMIO access looks the
//      address up in the current FlatView (memory/dispatch.cpp), so a stale TLB entry reaches the
//      new view, not the device. (A device mapping RAM into the guest, which TLBs would cache as a
//      host pointer, would have to wait for the flush; no pluggable device does.)
//   3. the removal does not wait for a grace period either: readers that found the device in the
//      old view keep it alive (the view's reference, or their own under ref-per-access) and meet
//      step 5's check; only the free (7.) needs the grace period;
//   4. drain the device's asynchronous work in its AioContext (if it is a Drainable);
//   5. unrealize it under the lock the lock model takes for it, so no callback runs meanwhile and
//      an access that looked it up earlier and waited for that lock fails with DeviceGone;
//   6. the controller clears the slot (event, interrupt); on_done runs;
//   7. the board's reference is dropped via rcu_call: the device is freed after a grace period and
//      its last reference (an in-flight access's under ref-per-access, an old FlatView's).
// From the end of step 5 on, no access that starts reaches the device.
//
// Threading: create, call and destroy the manager in `ctx`'s home thread (the main loop's). The
// removal runs there too, asynchronously (steps 2 and the eject wait for other threads); on_done is
// called there. The destructor removes every device still plugged at once (unmap, drain, unrealize,
// release; no callbacks): call it only once no vCPU runs any more.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "devices/hotplug_controller.h"
#include "devices/mmio_device.h"
#include "devices/virtio_device.h"
#include "loop/aio_context.h"
#include "memory/address_space.h"
#include "system/device_spec.h"

namespace locklab {

class HotplugError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class VirtioBlkPlug;

struct DeviceDelResult {
    std::string id;
    bool surprise = false;
    std::chrono::nanoseconds total{0};    // from device_del to completion (includes the guest's part)
    std::chrono::nanoseconds removal{0};  // from the start of the removal (surprise or EJECT) to completion
    Device* device = nullptr;             // unrealized; valid during the callback only
    // Where `removal` went, by step of the removal (see above): 1-2 unmap and queue the flush, until
    // the main loop picks the removal up again; 4-5 drain and unrealize.
    std::chrono::nanoseconds unmap{0}, unrealize{0};
};

class HotplugManager {
public:
    // Makes every vCPU flush its TLB and decoded code before it next touches memory and calls the
    // given function (from any thread) once all have (system/vcpu_flush.h does it for harts).
    using VcpuFlush = std::function<void(std::function<void()> done)>;
    using DelDone = std::function<void(const DeviceDelResult&)>;

    // `controller` may be null (no guest to tell: tests, the torture test).
    HotplugManager(AddressSpace& as, AioContext& ctx, HotplugController* controller, VcpuFlush flush);
    ~HotplugManager();
    HotplugManager(const HotplugManager&) = delete;
    HotplugManager& operator=(const HotplugManager&) = delete;

    // Types device_add knows.
    static std::vector<std::string_view> device_types();

    // Where virtio-blk-device goes; without one (tests, the torture test) device_add refuses the
    // type. Set before the first device_add; `plug` must outlive the manager.
    void set_virtio_plug(VirtioBlkPlug* plug) { virtio_ = plug; }

    // Properties: id (default "<type>.<n>"), slot (research slot 0..15, default the first free one),
    // and the type's own (mmio-scratch: cost, in ns). `notify_guest` false: cold-plug before the
    // guest runs (no event). Returns the id. Throws HotplugError or DeviceSpecError, with nothing
    // changed.
    std::string device_add(DeviceSpec spec, bool notify_guest = true);
    // Starts the removal of `id` (see the header comment); on_done runs when it completes. Throws
    // HotplugError for an unknown id or one already being removed. A surprise removal of a device
    // whose eject was requested goes ahead without waiting for the guest.
    void device_del(std::string_view id, bool surprise, DelDone on_done = {});

    std::vector<std::string> device_ids() const;  // plugged, in id order (including those leaving)
    Device* find(std::string_view id) const;      // nullptr if not plugged
    size_t removals_pending() const;              // device_del calls not completed yet

private:
    enum class Phase { Live, EjectRequested, Removing };
    struct Plugged {
        Ref<MmioDevice> dev;  // research-slot devices, mapped by the manager (empty for virtio)
        unsigned slot = 0;
        Phase phase = Phase::Live;
        bool surprise = false;
        DelDone on_done;
        std::chrono::steady_clock::time_point del_called, removal_started;
        Ref<VirtioDevice> virtio;  // a device in the virtio transport of `slot` (dev empty)
    };

    unsigned pick_slot(DeviceSpec& spec) const;
    void add_virtio(const std::string& id, DeviceSpec& spec, bool notify_guest);
    void quiesce_and_unrealize(Plugged& p);  // steps 4 and 5 for either kind
    void on_guest_eject(unsigned slot);
    void begin_removal(const std::string& id);
    void finish_removal(const std::string& id);
    void quiesce_and_unrealize(MmioDevice& dev);  // steps 4 and 5
    void unrealize_under_lock(MmioDevice& dev);
    // A function any thread may call to run work in ctx's home thread, unless the manager is gone
    // by then. Made in the home thread (it copies the liveness token).
    std::function<void(std::function<void()>)> poster() const;

    AddressSpace& as_;
    AioContext& ctx_;
    HotplugController* const controller_;
    const VcpuFlush flush_;
    std::map<std::string, Plugged, std::less<>> devices_;  // home thread only
    uint64_t next_auto_id_ = 0;                            // home thread only
    // Liveness token for work posted from other threads: checked in the home thread, which is also
    // where the manager is destroyed, so the check cannot race with the destruction.
    std::shared_ptr<HotplugManager*> self_;
    VirtioBlkPlug* virtio_ = nullptr;  // home thread only; null: no virtio slots
};

}  // namespace locklab
