#include "memory/flat_view.h"

#include <algorithm>
#include <atomic>
#include <set>

#include "qom/device.h"

namespace locklab {
namespace {

std::atomic<uint64_t> g_next_generation{1};  // atomic: views are rendered on any writer's thread

// The range this thread's last successful lookup returned, and the generation of the view it lies
// in. Home thread only. Valid to dereference only while the caller reads that very view, i.e. when
// the generation matches the view being searched (the caller's read section keeps it alive).
struct LastHit {
    uint64_t generation = 0;  // 0: none (views start at 1)
    const FlatRange* range = nullptr;
};
thread_local LastHit t_last_hit;  // trivial: a use is one %fs-relative access

}  // namespace

FlatView::FlatView(const std::vector<PlacedRegion>& regions)
    : generation_(g_next_generation.fetch_add(1, std::memory_order_relaxed))
{
    // Render: cut the space at every region boundary; each piece belongs to the highest-priority
    // region covering it (later-added wins a tie). Adjacent pieces of one region merge again.
    std::set<hwaddr> cuts;
    for (const auto& r : regions) {
        cuts.insert(r.base);
        cuts.insert(r.base + r.mr->size());
    }
    std::vector<hwaddr> points(cuts.begin(), cuts.end());
    for (size_t i = 0; i + 1 < points.size(); ++i) {
        hwaddr lo = points[i], hi = points[i + 1];
        const PlacedRegion* best = nullptr;
        for (const auto& r : regions) {
            if (r.base <= lo && hi <= r.base + r.mr->size() && (!best || r.priority >= best->priority))
                best = &r;
        }
        if (!best) continue;
        hwaddr off = lo - best->base;
        if (!ranges_.empty()) {
            FlatRange& last = ranges_.back();
            if (last.mr == best->mr && last.base + last.size == lo &&
                last.offset_in_region + last.size == off) {
                last.size += hi - lo;
                continue;
            }
        }
        ranges_.push_back({lo, hi - lo, best->mr, off});
    }
    for (const auto& r : ranges_) {
        if (Device* d = r.mr->owner()) {
            d->ref();
            owners_.push_back(d);
        }
    }
}

FlatView::~FlatView()
{
    for (Device* d : owners_) d->unref();
}

const FlatRange* FlatView::lookup(hwaddr addr) const
{
    LastHit& hit = t_last_hit;
    if (hit.generation == generation_ && hit.range->contains(addr)) return hit.range;
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), addr,
                               [](hwaddr a, const FlatRange& r) { return a < r.base; });
    if (it == ranges_.begin()) return nullptr;
    --it;
    if (!it->contains(addr)) return nullptr;
    hit = {generation_, &*it};
    return &*it;
}

}  // namespace locklab
