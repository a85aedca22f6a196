// Lifetime policies: how the dispatch path keeps the owning device alive between the lookup and
// the end of the access (steps 3, 4 and 8 of DESIGN.md's dispatch path).
#pragma once

#include <optional>
#include <string_view>

#include "locking/rcu.h"
#include "qom/device.h"

namespace locklab {

enum class LifetimePolicy {
    RefPerAccess,  // atomic reference on the owner per access; the RCU section ends after the lookup
    SnapshotRef,   // the FlatView's own reference suffices; the access stays in the RCU section
};

// Set once at start-up before any vCPU runs; read-only afterwards.
LifetimePolicy lifetime_policy();
void set_lifetime_policy(LifetimePolicy p);
bool parse_lifetime_policy(std::string_view s, LifetimePolicy& out);
std::string_view to_string(LifetimePolicy p);

// What the dispatch path holds on the device while it calls into it. Constructed inside the RCU
// read section opened by the caller (`rcu`); may leave that section early (RefPerAccess).
class DevicePin {
public:
    DevicePin(Device* d, std::optional<RcuReadGuard>& rcu) : dev_(d)
    {
        if (!dev_ || lifetime_policy() != LifetimePolicy::RefPerAccess) return;
        // The FlatView still references dev_ inside the read section, so try_ref cannot race with
        // the free; it fails only if the count already dropped to zero.
        if (!dev_->try_ref()) {
            dev_ = nullptr;
            gone_ = true;
            return;
        }
        owns_ref_ = true;
        rcu.reset();  // step 4: leave the read section, the reference keeps the device alive
    }
    ~DevicePin()
    {
        if (owns_ref_) dev_->unref();
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
