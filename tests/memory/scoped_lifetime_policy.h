// Sets the process-wide lifetime policy for one test and restores the previous one afterwards.
#pragma once

#include "memory/lifetime_policy.h"

namespace locklab::test {

class ScopedLifetimePolicy {
public:
    explicit ScopedLifetimePolicy(LifetimePolicy p) : saved_(lifetime_policy()) { set_lifetime_policy(p); }
    ~ScopedLifetimePolicy() { set_lifetime_policy(saved_); }
    ScopedLifetimePolicy(const ScopedLifetimePolicy&) = delete;
    ScopedLifetimePolicy& operator=(const ScopedLifetimePolicy&) = delete;

private:
    LifetimePolicy saved_;
};

}  // namespace locklab::test
