#include "memory/lifetime_policy.h"

namespace locklab {
namespace {
LifetimePolicy g_policy = LifetimePolicy::RefPerAccess;  // written at start-up only
}

LifetimePolicy lifetime_policy() { return g_policy; }
void set_lifetime_policy(LifetimePolicy p) { g_policy = p; }

bool parse_lifetime_policy(std::string_view s, LifetimePolicy& out)
{
    if (s == "ref-per-access") out = LifetimePolicy::RefPerAccess;
    else if (s == "snapshot-ref") out = LifetimePolicy::SnapshotRef;
    else return false;
    return true;
}

std::string_view to_string(LifetimePolicy p)
{
    return p == LifetimePolicy::RefPerAccess ? "ref-per-access" : "snapshot-ref";
}

}  // namespace locklab
