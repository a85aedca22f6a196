// AddressSpace: a root of guest-physical space. Regions are placed in it; every change renders a new
// FlatView and publishes it under RCU; the old view (and the device references it holds) is freed
// after a grace period. Commit listeners run after each publication (vCPUs flush their TLBs there).
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "locking/rcu.h"
#include "memory/flat_view.h"

namespace locklab {

class AddressSpace {
public:
    explicit AddressSpace(std::string name);
    ~AddressSpace();
    AddressSpace(const AddressSpace&) = delete;
    AddressSpace& operator=(const AddressSpace&) = delete;

    const std::string& name() const { return name_; }

    // --- writer side (any thread; serialised by an internal mutex) ---
    // Throws std::invalid_argument if [base, base + size) would wrap past the top of the space.
    void add_region(hwaddr base, MemoryRegion& mr, int priority = 0);
    void remove_region(MemoryRegion& mr);  // no-op if not mapped
    // Batch several changes into one publication. Transactions nest; the outermost commit publishes.
    // commit_transaction() without a matching begin throws std::logic_error.
    void begin_transaction();
    void commit_transaction();
    using CommitListener = std::function<void()>;
    // Called (on the writer's thread, after publication) whenever a new view is published. Runs
    // with the writer mutex held: a listener must not change this address space or its listeners,
    // nor take a lock that is held while changing it (the BQL, for hot-plug); it should only queue
    // work (a vCPU's TLB flush) or read the new view.
    int add_commit_listener(CommitListener l);
    void remove_commit_listener(int id);

    // --- reader side ---
    // The current view. Valid until the caller leaves its RCU read section.
    const FlatView* view() const { return view_.read(); }
    // Host pointer for [addr, addr+len) if that lies wholly inside one RAM range, else null.
    // RAM regions are never removed while the machine runs, so the pointer outlives the section.
    uint8_t* ram_ptr(hwaddr addr, uint64_t len) const;

    // Accesses for the CPU slow path and for device DMA: RAM directly, anything else through the
    // MMIO dispatch path (memory/dispatch.h). Sizes other than 1, 2, 4, 8 give MemTx::AccessError.
    MemTx read(hwaddr addr, unsigned size, uint64_t& value, int requester = -1);
    MemTx write(hwaddr addr, unsigned size, uint64_t value, int requester = -1);
    // Byte-granular DMA helpers; stop at the first failing byte.
    MemTx read_bytes(hwaddr addr, void* buf, uint64_t len);
    MemTx write_bytes(hwaddr addr, const void* buf, uint64_t len);

private:
    void publish_locked();

    const std::string name_;
    mutable std::mutex writer_mutex_;        // protects regions_, depth_, pending_, listeners_
    std::vector<PlacedRegion> regions_;      // protected by writer_mutex_
    int depth_ = 0;                          // protected by writer_mutex_: transaction nesting
    bool pending_ = false;                   // protected by writer_mutex_
    std::vector<std::pair<int, CommitListener>> listeners_;  // protected by writer_mutex_
    int next_listener_id_ = 0;               // protected by writer_mutex_
    RcuPointer<FlatView> view_;              // RCU: published by writers, read in read sections
};

}  // namespace locklab
