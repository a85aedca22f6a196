#include "memory/lifetime_policy.h"

#include <array>
#include <utility>

namespace locklab {
namespace {
constexpr std::array<std::pair<LifetimePolicy, std::string_view>, 3> kNames{{
    {LifetimePolicy::RefPerAccess, "ref-per-access"},
    {LifetimePolicy::SnapshotRef, "snapshot-ref"},
    {LifetimePolicy::None, "none"},
}};
}  // namespace

bool parse_lifetime_policy(std::string_view s, LifetimePolicy& out)
{
    for (const auto& [policy, name] : kNames) {
        if (s == name) {
            out = policy;
            return true;
        }
    }
    return false;
}

std::string_view to_string(LifetimePolicy p)
{
    for (const auto& [policy, name] : kNames)
        if (p == policy) return name;
    return "?";
}

}  // namespace locklab
