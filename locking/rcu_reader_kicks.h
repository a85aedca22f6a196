// The reader kicks of locking/rcu.h, shared by both RCU implementations: a registry of kicks and the
// helper thread that calls them while a grace period is waited for. Internal to locking/.
#pragma once

#include <functional>

namespace locklab::detail {

// Brackets one rcu_synchronize() wait: while at least one is open, the helper thread kicks.
class ExpeditedGracePeriod {
public:
    ExpeditedGracePeriod();
    ~ExpeditedGracePeriod();
    ExpeditedGracePeriod(const ExpeditedGracePeriod&) = delete;
    ExpeditedGracePeriod& operator=(const ExpeditedGracePeriod&) = delete;

private:
    bool counted_;  // whether the helper kicks for this wait (there were kicks to call)
};

}  // namespace locklab::detail
