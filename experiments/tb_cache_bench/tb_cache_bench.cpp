// Lookup and insert in the JIT's translation-block cache: the per-vCPU TbCache (cpu/tcg/tb.h: a
// direct-mapped jump cache in front of a std::unordered_map, home thread only) against one map
// shared by every vCPU thread (oneTBB concurrent_hash_map, which has erase, and
// concurrent_unordered_map, which has lock-free reads but no concurrent erase), each behind the same
// per-vCPU jump cache (issue 6 keeps it in every design).
//
// Workload: `range(0)` blocks at distinct pcs (4 bytes apart, pa = pc), looked up in a fixed
// pseudo-random order. 1,000 blocks fit the 4096-entry jump cache (the common case: a hot loop
// nest); 20,000 do not, so most lookups reach the map. With 2 threads, each thread is one vCPU: it
// has its own jump cache and, in the per-vCPU design, its own map; the shared maps are one for all.
#include <benchmark/benchmark.h>

#include <oneapi/tbb/concurrent_hash_map.h>
#include <oneapi/tbb/concurrent_unordered_map.h>

#include <array>
#include <map>
#include <mutex>
#include <memory>
#include <vector>

#include "cpu/tcg/tb.h"

using namespace locklab::rv::tcg;

namespace {

constexpr uint64_t kBase = 0x8000'0000;

uint64_t pc_of(uint64_t i) { return kBase + 4 * i; }

// The lookup order: every block once per round, in a scrambled order (an odd multiplier permutes
// indices modulo a power of two; the rest are visited in order).
std::vector<uint32_t> lookup_order(uint32_t n)
{
    std::vector<uint32_t> order;
    uint32_t pow2 = 1;
    while (pow2 * 2 <= n) pow2 *= 2;
    for (uint32_t i = 0; i < pow2; ++i) order.push_back((i * 2654435761u) & (pow2 - 1));
    for (uint32_t i = pow2; i < n; ++i) order.push_back(i);
    return order;
}

std::unique_ptr<TranslationBlock> make_tb(uint64_t i)
{
    auto tb = std::make_unique<TranslationBlock>();
    tb->pc = tb->pa = pc_of(i);
    tb->guest_bytes = 4;
    return tb;
}

// ---- the per-vCPU design in use ----
void BM_PerVcpu_Lookup(benchmark::State& state)
{
    const auto n = uint32_t(state.range(0));
    TbCache cache;  // this thread's own
    for (uint32_t i = 0; i < n; ++i) cache.insert(make_tb(i));
    const std::vector<uint32_t> order = lookup_order(n);
    for (auto _ : state)
        for (uint32_t i : order) benchmark::DoNotOptimize(cache.find(pc_of(i), pc_of(i), false));
    state.SetItemsProcessed(int64_t(state.iterations()) * n);
}

void BM_PerVcpu_Insert(benchmark::State& state)
{
    const auto n = uint32_t(state.range(0));
    for (auto _ : state) {
        TbCache cache;
        for (uint32_t i = 0; i < n; ++i) cache.insert(make_tb(i));
        benchmark::DoNotOptimize(cache.size());
    }
    state.SetItemsProcessed(int64_t(state.iterations()) * n);
}

// ---- a shared map behind a per-vCPU jump cache ----
struct Key {
    uint64_t pc, pa;
    bool operator==(const Key&) const = default;
};
// oneTBB's tables index buckets by the hash's low bits (TbCache's std::unordered_map takes it modulo
// a prime): a full mix (splitmix64's finaliser), or most pcs share a few buckets.
struct KeyHash {
    size_t operator()(const Key& k) const
    {
        uint64_t z = k.pc ^ (k.pa * 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return size_t(z ^ (z >> 31));
    }
};
struct KeyCompare {  // concurrent_hash_map's HashCompare
    static size_t hash(const Key& k) { return KeyHash{}(k); }
    static bool equal(const Key& a, const Key& b) { return a == b; }
};

using HashMap = tbb::concurrent_hash_map<Key, TranslationBlock*, KeyCompare>;
using UnorderedMap = tbb::concurrent_unordered_map<Key, TranslationBlock*, KeyHash>;

TranslationBlock* map_find(const HashMap& m, const Key& k)
{
    HashMap::const_accessor a;  // a reader lock on the element while held
    return m.find(a, k) ? a->second : nullptr;
}
TranslationBlock* map_find(const UnorderedMap& m, const Key& k)
{
    auto it = m.find(k);
    return it == m.end() ? nullptr : it->second;
}
void map_insert(HashMap& m, const Key& k, TranslationBlock* tb) { m.insert({k, tb}); }
void map_insert(UnorderedMap& m, const Key& k, TranslationBlock* tb) { m.insert({k, tb}); }

struct JumpCache {
    static constexpr size_t kSize = 4096;
    std::array<TranslationBlock*, kSize> slot{};
    static size_t index(uint64_t pc) { return (pc >> 1) & (kSize - 1); }
};

template <class Map>
struct Shared {
    Map map;
    std::vector<std::unique_ptr<TranslationBlock>> tbs;
};

// One map of n blocks per type and size, built by whichever thread asks first.
template <class Map>
Shared<Map>& shared_for(uint32_t n)
{
    static std::mutex mutex;
    static std::map<uint32_t, Shared<Map>> maps;  // protected by mutex (the entries are read-only once built)
    std::lock_guard lk(mutex);
    auto [it, fresh] = maps.try_emplace(n);
    if (fresh) {
        for (uint32_t i = 0; i < n; ++i) {
            it->second.tbs.push_back(make_tb(i));
            map_insert(it->second.map, Key{pc_of(i), pc_of(i)}, it->second.tbs.back().get());
        }
    }
    return it->second;
}

template <class Map>
void BM_Shared_Lookup(benchmark::State& state)
{
    const auto n = uint32_t(state.range(0));
    Shared<Map>* s = &shared_for<Map>(n);
    const std::vector<uint32_t> order = lookup_order(n);
    JumpCache jc;  // this vCPU's
    for (auto _ : state) {
        for (uint32_t i : order) {
            const uint64_t pc = pc_of(i);
            TranslationBlock*& slot = jc.slot[JumpCache::index(pc)];
            TranslationBlock* tb = slot;
            if (!tb || tb->pc != pc || tb->pa != pc) {
                tb = map_find(s->map, Key{pc, pc});
                slot = tb;
            }
            benchmark::DoNotOptimize(tb);
        }
    }
    state.SetItemsProcessed(int64_t(state.iterations()) * n);
}

template <class Map>
void BM_Shared_Insert(benchmark::State& state)
{
    const auto n = uint32_t(state.range(0));
    for (auto _ : state) {  // each insert allocates its TB, as in TbCache::insert's caller
        Map m;
        std::vector<std::unique_ptr<TranslationBlock>> tbs;
        for (uint32_t i = 0; i < n; ++i) {
            tbs.push_back(make_tb(i));
            map_insert(m, Key{pc_of(i), pc_of(i)}, tbs.back().get());
        }
        benchmark::DoNotOptimize(m.size());
    }
    state.SetItemsProcessed(int64_t(state.iterations()) * n);
}

}  // namespace

// Lookups: 1 and 2 threads (one vCPU each); the per-vCPU caches are private, the shared maps shared.
BENCHMARK(BM_PerVcpu_Lookup)->Arg(1000)->Arg(20000)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK_TEMPLATE(BM_Shared_Lookup, HashMap)->Arg(1000)->Arg(20000)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK_TEMPLATE(BM_Shared_Lookup, UnorderedMap)->Arg(1000)->Arg(20000)->Threads(1)->Threads(2)->UseRealTime();
// Inserts (one thread: translation is rare next to lookups). Compare CPU times: the host is shared.
BENCHMARK(BM_PerVcpu_Insert)->Arg(20000);
BENCHMARK_TEMPLATE(BM_Shared_Insert, HashMap)->Arg(20000);
BENCHMARK_TEMPLATE(BM_Shared_Insert, UnorderedMap)->Arg(20000);

BENCHMARK_MAIN();
