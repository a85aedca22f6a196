// UnplugAudit: the checks behind the hot-unplug guarantee (DESIGN.md "Hot-plug and hot-unplug"), as
// the mmio-scratch research device (devices/mmio_scratch.h) applies them on every access:
//
//  - stale accesses: a global sequence orders accesses against ejects. A thread that audits its
//    accesses opens an AuditedAccess around each one, which records the sequence at its start; a
//    device takes a new sequence number when its eject completes (unrealize). An access that
//    reaches the device's callback although it started at or after that number is stale: the
//    removal protocol let it through.
//  - accesses to freed devices: freed mmio-scratch instances can be quarantined instead of returned
//    to the allocator (see MmioScratch's operator delete). An access that reaches one is counted.
//
// Both counts must stay zero under the safe lifetime policies; the torture test checks that, and
// that the unsafe `none` policy makes them non-zero. Plain counters and thread-locals, no
// sanitizer: the checks work in every build.
#pragma once

#include <cstdint>
#include <optional>

namespace locklab::unplug_audit {

uint64_t now();      // the current sequence number
uint64_t advance();  // takes the next sequence number and returns it

// RAII: marks the calling thread's accesses in its scope as started at now(). Not nestable.
class AuditedAccess {
public:
    AuditedAccess();
    ~AuditedAccess();
    AuditedAccess(const AuditedAccess&) = delete;
    AuditedAccess& operator=(const AuditedAccess&) = delete;
};
// The start of the calling thread's audited access, if one is open.
std::optional<uint64_t> current_access_start();

struct Counts {
    uint64_t stale = 0;  // accesses that reached a device after its eject completed
    uint64_t freed = 0;  // accesses that reached a freed (quarantined) device
};
void record_stale();
void record_freed_access();
Counts counts();
void reset_counts();

}  // namespace locklab::unplug_audit
