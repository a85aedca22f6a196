// MemoryRegion: a range of guest-physical space with one behaviour: RAM (host memory) or MMIO
// (callbacks of the owning Device).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "memory/mem_tx.h"

namespace locklab {

class Device;

// Callbacks for an MMIO region. Offsets are relative to the region. Before calling them,
// MemoryRegion::read/write have checked the size (1, 2, 4 or 8, within min/max_access), the
// alignment (unless `unaligned`) and that the access lies inside the region, and truncated the
// written value to the size; they also truncate the value a read callback returns.
struct MmioOps {
    std::function<MemTx(hwaddr offset, unsigned size, uint64_t& value)> read;
    std::function<MemTx(hwaddr offset, unsigned size, uint64_t value)> write;
    unsigned min_access = 1;  // smallest access size the guest may use
    unsigned max_access = 8;  // largest
    bool unaligned = false;   // whether accesses not aligned to their size are allowed
};

class MemoryRegion {
public:
    // MMIO region owned by `owner` (may be null for board-level regions that never go away).
    MemoryRegion(Device* owner, std::string name, uint64_t size, MmioOps ops);
    // RAM region backed by zeroed host memory.
    static std::unique_ptr<MemoryRegion> make_ram(std::string name, uint64_t size);
    ~MemoryRegion();

    MemoryRegion(const MemoryRegion&) = delete;
    MemoryRegion& operator=(const MemoryRegion&) = delete;

    const std::string& name() const { return name_; }
    uint64_t size() const { return size_; }
    Device* owner() const { return owner_; }
    bool is_ram() const { return host_ != nullptr; }
    uint8_t* host() const { return host_; }  // RAM only

    // MMIO access (size/alignment/bounds validated here, else AccessError). Calls the owner's
    // callbacks; no locking (the dispatch path does that).
    MemTx read(hwaddr offset, unsigned size, uint64_t& value) const;
    MemTx write(hwaddr offset, unsigned size, uint64_t value) const;

private:
    MemoryRegion(std::string name, uint64_t size, uint8_t* host);
    bool access_valid(hwaddr offset, unsigned size) const;

    // All fields immutable after construction.
    Device* owner_ = nullptr;
    std::string name_;
    uint64_t size_ = 0;
    MmioOps ops_;
    uint8_t* host_ = nullptr;  // RAM: mmap'ed host memory, freed with the region
};

}  // namespace locklab
