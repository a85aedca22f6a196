// Lifetime policies: how the dispatch path keeps the owning device alive between the lookup and
// the end of the access (steps 3, 4 and 8 of DESIGN.md's dispatch path).
//
// Every policy relies on the FlatView's own reference on each owner (memory/flat_view.h) for the
// lookup itself: inside the read section the view, hence the device, cannot be freed. They differ
// in what happens after the lookup. A device's MMIO regions must live as long as the device (be
// destroyed with it, never before), because ref-per-access reaches the region through the device's
// reference once it has left the read section.
#pragma once

#include <optional>
#include <string_view>

#include "locking/rcu.h"
#include "qom/device.h"

namespace locklab {

enum class LifetimePolicy {
    RefPerAccess,  // atomic reference on the owner per access; the RCU section ends after the lookup
    SnapshotRef,   // the FlatView's own reference suffices; the access stays in the RCU section
    None,          // UNSAFE control: no reference, and the RCU section ends after the lookup, so an
                   // unplugged device can be freed under a running access (the torture test's target)
};

namespace detail {
// Written at start-up only (set_lifetime_policy), before any vCPU runs; read-only afterwards. Inline,
// so the dispatch path reads it without a call.
inline LifetimePolicy g_lifetime_policy = LifetimePolicy::RefPerAccess;
}  // namespace detail

// Set once at start-up before any vCPU runs; read-only afterwards.
inline LifetimePolicy lifetime_policy() { return detail::g_lifetime_policy; }
inline void set_lifetime_policy(LifetimePolicy p) { detail::g_lifetime_policy = p; }
// Names: "ref-per-access", "snapshot-ref", "none". Returns false (out unchanged) for anything else.
bool parse_lifetime_policy(std::string_view s, LifetimePolicy& out);
std::string_view to_string(LifetimePolicy p);

// What the dispatch path holds on the device while it calls into it. Constructed inside the RCU
// read section opened by the caller (`rcu`); may leave that section early (RefPerAccess, None).
// A null device (an owner-less region, which never goes away) pins nothing and stays in the section.
class DevicePin {
public:
    DevicePin(Device* d, std::optional<RcuReadGuard>& rcu) : dev_(d)
    {
        if (!dev_) return;
        switch (lifetime_policy()) {
        case LifetimePolicy::SnapshotRef:
            return;  // the view's reference, valid as long as we stay in the read section
        case LifetimePolicy::RefPerAccess:
            // The view still references dev_ inside the read section, so the count is above zero
            // and try_ref succeeds; it would fail only for a device already being freed, which no
            // view can list.
            if (!dev_->try_ref()) {
                dev_ = nullptr;
                gone_ = true;
                return;
            }
            owns_ref_ = true;
            rcu.reset();  // step 4: leave the read section, the reference keeps the device alive
            return;
        case LifetimePolicy::None:
            rcu.reset();  // deliberately unsafe: nothing keeps the device alive from here on
            return;
        }
    }
    ~DevicePin()
    {
        if (owns_ref_) dev_->unref();  // step 8; may free the device if it was unplugged meanwhile
    }
    DevicePin(const DevicePin&) = delete;
    DevicePin& operator=(const DevicePin&) = delete;

    Device* device() const { return dev_; }
    bool gone() const { return gone_; }

private:
    Device* dev_;
    bool owns_ref_ = false;
    bool gone_ = false;
};

}  // namespace locklab
