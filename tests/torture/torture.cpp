// torture: hot-unplug under fire (issue 4). Host threads acting as vCPUs hammer a set of mmio-scratch
// devices through the dispatch path (AddressSpace::read/write) while the main thread removes and
// re-adds them continuously through the HotplugManager (surprise removals: the full protocol minus
// the guest), for every lock model x lifetime policy asked for. It checks:
//   - no stale access: every access runs inside an unplug_audit::AuditedAccess, so a device counts
//     any access that reaches it although it started after the device's eject completed;
//   - no access to a freed device: mmio-scratch's quarantine keeps freed instances allocated and
//     poisoned, and counts any access that reaches one (works without ASan);
//   - no lost writes to live devices: per slot, the writes that returned Ok (count and sum of values)
//     equal what the devices that lived in the slot counted;
//   - every removed device is freed in the end (after a grace period and its last reference);
//   - asynchronous work (doorbells: backend completions in the main thread's AioContext) is drained
//     before a device is unrealized: none is left in flight at that point;
//   - nothing but Ok, Unassigned (slot empty) or DeviceGone (in flight during the eject) comes back.
// With `--lifetime none` (no reference, RCU left after the lookup) the same run must find
// violations: it keeps cycling until it sees one or --max-seconds pass, and passes iff it saw one.
//
// Exit status: 0 when every combination behaved as expected, 1 otherwise, 2 on a usage error.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "devices/mmio_scratch.h"
#include "devices/unplug_audit.h"
#include "devices/virt_memmap.h"
#include "locking/lock_model.h"
#include "locking/rcu.h"
#include "memory/lifetime_policy.h"
#include "system/hotplug.h"

using namespace locklab;

namespace {

struct Options {
    unsigned vcpus = 3;
    unsigned devices = 4;
    uint64_t cycles = 500;
    uint64_t cost_ns = 200;
    double max_seconds = 60;  // --lifetime none: give up looking for a violation after this long
    std::vector<std::string> models;            // empty: all
    std::vector<LifetimePolicy> policies;
};

// Writes that returned Ok, per slot (vCPU threads), against what the slot's devices counted (main).
struct SlotTally {
    std::atomic<uint64_t> ok_writes{0};  // atomic: every vCPU thread adds
    std::atomic<uint64_t> ok_sum{0};     // atomic: as ok_writes
    uint64_t device_writes = 0;          // main thread only
    uint64_t device_sum = 0;             // main thread only
};

struct AccessCounts {  // per vCPU thread, summed at the end
    uint64_t ok = 0, unassigned = 0, gone = 0, unexpected = 0, bad_reads = 0, doorbells = 0;
    void add(const AccessCounts& o)
    {
        ok += o.ok, unassigned += o.unassigned, gone += o.gone, unexpected += o.unexpected, bad_reads += o.bad_reads;
        doorbells += o.doorbells;
    }
};

// vCPU threads that have completed at least one access in the current run: the churn goes on until
// all have (up to --max-seconds), so a run on a loaded host cannot end before its vCPUs got a core.
std::atomic<unsigned> g_vcpus_with_access{0};

hwaddr slot_base(unsigned slot) { return virt::kResearchBase + virt::kResearchStride * slot; }

uint64_t next_random(uint64_t& s)  // xorshift64
{
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
}

void vcpu(AddressSpace& as, const Options& opt, std::vector<SlotTally>& tally, const std::atomic<bool>& stop,
          std::latch& start, unsigned index, AccessCounts& out)
{
    uint64_t rng = 0x9e37'79b9'7f4a'7c15ull * (index + 1);
    AccessCounts c;
    start.arrive_and_wait();
    while (!stop.load(std::memory_order_relaxed)) {
        const uint64_t r = next_random(rng);
        const auto slot = unsigned(r % opt.devices);
        const bool is_write = (r >> 8) & 1;
        const bool is_doorbell = is_write && (r >> 12) % 16 == 0;  // 1 in 32 accesses
        MemTx t;
        uint64_t value = 0;
        {
            unplug_audit::AuditedAccess audited;
            if (is_doorbell) {
                t = as.write(slot_base(slot) + MmioScratch::kDoorbell, 8, 1, int(index));
            } else if (is_write) {
                value = r >> 16;
                t = as.write(slot_base(slot) + MmioScratch::kData0 + 8 * ((r >> 9) % 8), 8, value, int(index));
            } else {
                t = as.read(slot_base(slot) + MmioScratch::kMagicReg, 8, value, int(index));
            }
        }
        switch (t) {
        case MemTx::Ok:
            if (c.ok++ == 0) g_vcpus_with_access.fetch_add(1, std::memory_order_relaxed);
            if (is_doorbell) {
                ++c.doorbells;
            } else if (is_write) {
                tally[slot].ok_writes.fetch_add(1, std::memory_order_relaxed);
                tally[slot].ok_sum.fetch_add(value, std::memory_order_relaxed);
            } else if (value != MmioScratch::kMagic) {
                ++c.bad_reads;
            }
            break;
        case MemTx::Unassigned: ++c.unassigned; break;
        case MemTx::DeviceGone: ++c.gone; break;
        default: ++c.unexpected; break;
        }
    }
    out = c;
}

// One lock model x lifetime policy. Returns whether it behaved as expected.
bool run_one(const Options& opt, std::string_view model, LifetimePolicy policy)
{
    set_lock_model(make_lock_model(model));
    set_lifetime_policy(policy);
    const bool expect_violation = policy == LifetimePolicy::None;
    rcu_barrier();  // devices of earlier combinations are freed before the quarantine starts
    MmioScratch::set_quarantine(true);
    unplug_audit::reset_counts();

    AddressSpace as("torture");
    AioContext ctx("torture");
    ctx.attach_current_thread();
    uint64_t devices_made = 0;
    std::vector<SlotTally> tally(opt.devices);
    std::vector<std::string> ids(opt.devices);
    const auto t0 = std::chrono::steady_clock::now();
    uint64_t cycles = 0;
    AccessCounts counts;
    uint64_t async_done = 0, left_in_flight = 0;  // over every removed device, at its removal
    {
        HotplugManager mgr(as, ctx, nullptr, [](std::function<void()> done) { done(); });  // no vCPU caches
        auto add = [&](unsigned slot) {
            ids[slot] = mgr.device_add(parse_device_spec(
                fmt::format("mmio-scratch,id=d{},slot={},cost={}", devices_made++, slot, opt.cost_ns)));
        };
        auto del = [&](unsigned slot) {
            bool done = false;
            mgr.device_del(ids[slot], true, [&](const DeviceDelResult& r) {
                const auto* d = static_cast<const MmioScratch*>(r.device);
                tally[slot].device_writes += d->write_count();
                tally[slot].device_sum += d->write_sum();
                async_done += d->async_done();
                left_in_flight += d->in_flight();
                done = true;
            });
            while (!done) ctx.poll(true);
        };
        for (unsigned s = 0; s < opt.devices; ++s) add(s);

        std::atomic<bool> stop{false};
        g_vcpus_with_access.store(0);
        std::latch start(opt.vcpus + 1);
        std::vector<AccessCounts> per_vcpu(opt.vcpus);
        std::vector<std::thread> threads;
        for (unsigned i = 0; i < opt.vcpus; ++i)
            threads.emplace_back(vcpu, std::ref(as), std::cref(opt), std::ref(tally), std::cref(stop), std::ref(start), i,
                                 std::ref(per_vcpu[i]));
        start.arrive_and_wait();
        auto violations = [] { return unplug_audit::counts().stale + unplug_audit::counts().freed; };
        auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
        auto churn_done = [&] {
            return cycles >= opt.cycles &&
                   (g_vcpus_with_access.load(std::memory_order_relaxed) == opt.vcpus || elapsed() >= opt.max_seconds);
        };
        while (expect_violation ? violations() == 0 && elapsed() < opt.max_seconds : !churn_done()) {
            const auto slot = unsigned(cycles % opt.devices);
            del(slot);
            add(slot);
            ++cycles;
        }
        stop.store(true);
        for (auto& t : threads) t.join();
        for (const auto& c : per_vcpu) counts.add(c);
        for (unsigned s = 0; s < opt.devices; ++s) del(s);  // every device's counters are in the tally
    }
    rcu_barrier();  // the last references are dropped: every removed device is freed now
    const size_t freed = MmioScratch::quarantined();
    MmioScratch::set_quarantine(false);
    MmioScratch::release_quarantine();

    const unplug_audit::Counts audit = unplug_audit::counts();
    uint64_t lost_slots = 0;
    for (const auto& t : tally)
        lost_slots += t.ok_writes.load() != t.device_writes || t.ok_sum.load() != t.device_sum;
    const bool violated = audit.stale + audit.freed > 0;
    const bool ok = (expect_violation ? violated : !violated && lost_slots == 0) && counts.unexpected == 0 &&
                    counts.bad_reads == 0 && freed == devices_made && counts.ok > 0 && left_in_flight == 0;
    fmt::print("torture: {:<14} x {:<14} {:>7} cycles {:6.2f} s  accesses: ok {} unassigned {} device-gone {} "
               "unexpected {} bad-reads {}  stale {} freed-device {}  slots with lost writes {}  doorbells {} "
               "completions {} left in flight {}  freed {}/{}  {}\n",
               model, to_string(policy), cycles, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
               counts.ok, counts.unassigned, counts.gone, counts.unexpected, counts.bad_reads, audit.stale, audit.freed,
               lost_slots, counts.doorbells, async_done, left_in_flight, freed, devices_made,
               ok ? (expect_violation ? "OK (violation detected, as expected)" : "OK") :
                    (expect_violation && !violated ? "FAILED (no violation detected)" : "FAILED"));
    std::fflush(stdout);
    unplug_audit::reset_counts();
    return ok;
}

}  // namespace

int main(int argc, char** argv)
{
    Options opt;
    std::vector<std::string> lifetimes;
    CLI::App app{"torture: vCPU threads hammer mmio-scratch devices while they are hot-unplugged and re-plugged; "
                 "checks for stale accesses, accesses to freed devices and lost writes"};
    app.add_option("--vcpus", opt.vcpus, "vCPU threads")->capture_default_str()->check(CLI::Range(1, 64));
    app.add_option("--devices", opt.devices, "devices (research slots) being hammered and cycled")
        ->capture_default_str()
        ->check(CLI::Range(1, 16));
    app.add_option("--cycles", opt.cycles, "remove/re-add cycles per combination (>= 1e5 for a long run)")
        ->capture_default_str();
    app.add_option("--cost", opt.cost_ns, "each device access busy-waits this many ns")->capture_default_str();
    app.add_option("--lock-model", opt.models, "lock models (repeatable; default: every model)");
    app.add_option("--lifetime", lifetimes,
                   "lifetime policies (repeatable; default: ref-per-access and snapshot-ref; `none` must be caught)");
    app.add_option("--max-seconds", opt.max_seconds, "with none: how long to look for the violation; otherwise the longest the churn waits for every vCPU to have made an access")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    if (opt.models.empty())
        for (auto n : lock_model_names()) opt.models.emplace_back(n);
    for (const auto& m : opt.models) {
        if (!make_lock_model(m)) {
            fmt::print(stderr, "torture: unknown lock model '{}'\n", m);
            return 2;
        }
    }
    if (lifetimes.empty()) lifetimes = {"ref-per-access", "snapshot-ref"};
    for (const auto& l : lifetimes) {
        LifetimePolicy p;
        if (!parse_lifetime_policy(l, p)) {
            fmt::print(stderr, "torture: unknown lifetime policy '{}'\n", l);
            return 2;
        }
        opt.policies.push_back(p);
    }

    bool all_ok = true;
    for (const auto& m : opt.models)
        for (LifetimePolicy p : opt.policies) all_ok &= run_one(opt, m, p);
    set_lock_model(make_lock_model("global"));
    set_lifetime_policy(LifetimePolicy::RefPerAccess);
    fmt::print("torture: {}\n", all_ok ? "PASS" : "FAIL");
    return all_ok ? 0 : 1;
}
