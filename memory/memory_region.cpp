#include "memory/memory_region.h"

#include <sys/mman.h>

#include <new>

namespace locklab {

const char* to_string(MemTx t)
{
    switch (t) {
    case MemTx::Ok: return "ok";
    case MemTx::Unassigned: return "unassigned";
    case MemTx::AccessError: return "access error";
    case MemTx::Reentrant: return "re-entrant access refused";
    case MemTx::DeviceGone: return "device gone";
    }
    return "?";
}

MemoryRegion::MemoryRegion(Device* owner, std::string name, uint64_t size, MmioOps ops)
    : owner_(owner), name_(std::move(name)), size_(size), ops_(std::move(ops))
{
}

MemoryRegion::MemoryRegion(std::string name, uint64_t size, uint8_t* host)
    : name_(std::move(name)), size_(size), host_(host)
{
}

std::unique_ptr<MemoryRegion> MemoryRegion::make_ram(std::string name, uint64_t size)
{
    // mmap gives zeroed, lazily committed memory: a 4 GiB guest costs only what it touches.
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return std::unique_ptr<MemoryRegion>(new MemoryRegion(std::move(name), size, static_cast<uint8_t*>(p)));
}

MemoryRegion::~MemoryRegion()
{
    if (host_) munmap(host_, size_);
}

bool MemoryRegion::access_valid(hwaddr offset, unsigned size) const
{
    if (!valid_access_size(size)) return false;
    if (size < ops_.min_access || size > ops_.max_access) return false;
    if (!ops_.unaligned && (offset & (size - 1))) return false;
    return offset < size_ && size <= size_ - offset;
}

namespace {
uint64_t truncate(uint64_t value, unsigned size)
{
    return size < 8 ? value & ((uint64_t(1) << (size * 8)) - 1) : value;
}
}  // namespace

MemTx MemoryRegion::read(hwaddr offset, unsigned size, uint64_t& value) const
{
    value = 0;
    if (!access_valid(offset, size) || !ops_.read) return MemTx::AccessError;
    const MemTx t = ops_.read(offset, size, value);
    value = truncate(value, size);  // the bus carries `size` bytes, whatever the callback left above
    return t;
}

MemTx MemoryRegion::write(hwaddr offset, unsigned size, uint64_t value) const
{
    if (!access_valid(offset, size) || !ops_.write) return MemTx::AccessError;
    return ops_.write(offset, size, truncate(value, size));
}

}  // namespace locklab
