#include "devices/unplug_audit.h"

#include <atomic>

namespace locklab::unplug_audit {
namespace {
std::atomic<uint64_t> g_sequence{1};     // atomic: any thread
std::atomic<uint64_t> g_stale{0};        // atomic: any thread
std::atomic<uint64_t> g_freed{0};        // atomic: any thread
thread_local uint64_t t_access_start = 0;  // home thread only; 0: no audited access open
}  // namespace

uint64_t now() { return g_sequence.load(std::memory_order_seq_cst); }
uint64_t advance() { return g_sequence.fetch_add(1, std::memory_order_seq_cst) + 1; }

AuditedAccess::AuditedAccess() { t_access_start = now(); }
AuditedAccess::~AuditedAccess() { t_access_start = 0; }

std::optional<uint64_t> current_access_start()
{
    if (t_access_start == 0) return std::nullopt;
    return t_access_start;
}

void record_stale() { g_stale.fetch_add(1, std::memory_order_relaxed); }
void record_freed_access() { g_freed.fetch_add(1, std::memory_order_relaxed); }

Counts counts() { return {g_stale.load(), g_freed.load()}; }

void reset_counts()
{
    g_stale.store(0);
    g_freed.store(0);
}

}  // namespace locklab::unplug_audit
