#include "memory/address_space.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "memory/dispatch.h"

namespace locklab {

AddressSpace::AddressSpace(std::string name) : name_(std::move(name))
{
    view_.publish(new FlatView({}));
}

AddressSpace::~AddressSpace()
{
    // No reader may still run against this address space: callers stopped the vCPUs first.
    delete view_.exchange(nullptr);
}

void AddressSpace::add_region(hwaddr base, MemoryRegion& mr, int priority)
{
    if (mr.size() > ~base)  // base + size must not wrap: FlatView cuts the space at both ends
        throw std::invalid_argument(name_ + ": region " + mr.name() +
                                    " extends past the top of the address space");
    std::lock_guard lk(writer_mutex_);
    regions_.push_back({base, &mr, priority});
    publish_locked();
}

void AddressSpace::remove_region(MemoryRegion& mr)
{
    std::lock_guard lk(writer_mutex_);
    auto n = std::erase_if(regions_, [&](const PlacedRegion& r) { return r.mr == &mr; });
    if (n) publish_locked();
}

void AddressSpace::begin_transaction()
{
    std::lock_guard lk(writer_mutex_);
    ++depth_;
}

void AddressSpace::commit_transaction()
{
    std::lock_guard lk(writer_mutex_);
    if (depth_ == 0) throw std::logic_error(name_ + ": commit_transaction without begin_transaction");
    if (--depth_ == 0 && pending_) publish_locked();
}

int AddressSpace::add_commit_listener(CommitListener l)
{
    std::lock_guard lk(writer_mutex_);
    listeners_.emplace_back(next_listener_id_, std::move(l));
    return next_listener_id_++;
}

void AddressSpace::remove_commit_listener(int id)
{
    std::lock_guard lk(writer_mutex_);
    std::erase_if(listeners_, [&](const auto& p) { return p.first == id; });
}

void AddressSpace::publish_locked()
{
    if (depth_ > 0) {
        pending_ = true;
        return;
    }
    pending_ = false;
    FlatView* old = view_.exchange(new FlatView(regions_));
    // Readers that loaded `old` may still use it (and the devices it references) until they leave
    // their read sections.
    rcu_call([old] { delete old; });
    for (auto& [id, l] : listeners_) l();
}

uint8_t* AddressSpace::ram_ptr(hwaddr addr, uint64_t len) const
{
    RcuReadGuard rcu;
    const FlatRange* r = view()->lookup(addr);
    if (!r || !r->mr->is_ram() || len > r->size - (addr - r->base)) return nullptr;
    return r->mr->host() + r->offset_in_region + (addr - r->base);
}

MemTx AddressSpace::read(hwaddr addr, unsigned size, uint64_t& value, int requester)
{
    value = 0;
    if (!valid_access_size(size)) return MemTx::AccessError;
    if (uint8_t* p = ram_ptr(addr, size)) {
        std::memcpy(&value, p, size);  // little-endian host
        return MemTx::Ok;
    }
    MemAccess a{addr, size, false, 0, requester};
    MemTx t = dispatch_mmio(*this, a);
    value = a.value;
    return t;
}

MemTx AddressSpace::write(hwaddr addr, unsigned size, uint64_t value, int requester)
{
    if (!valid_access_size(size)) return MemTx::AccessError;
    if (uint8_t* p = ram_ptr(addr, size)) {
        std::memcpy(p, &value, size);
        return MemTx::Ok;
    }
    MemAccess a{addr, size, true, value, requester};
    return dispatch_mmio(*this, a);
}

MemTx AddressSpace::read_bytes(hwaddr addr, void* buf, uint64_t len)
{
    if (uint8_t* p = ram_ptr(addr, len)) {
        std::memcpy(buf, p, len);
        return MemTx::Ok;
    }
    auto* out = static_cast<uint8_t*>(buf);
    for (uint64_t i = 0; i < len; ++i) {
        uint64_t v;
        if (MemTx t = read(addr + i, 1, v); t != MemTx::Ok) return t;
        out[i] = uint8_t(v);
    }
    return MemTx::Ok;
}

MemTx AddressSpace::write_bytes(hwaddr addr, const void* buf, uint64_t len)
{
    if (uint8_t* p = ram_ptr(addr, len)) {
        std::memcpy(p, buf, len);
        return MemTx::Ok;
    }
    auto* in = static_cast<const uint8_t*>(buf);
    for (uint64_t i = 0; i < len; ++i)
        if (MemTx t = write(addr + i, 1, in[i]); t != MemTx::Ok) return t;
    return MemTx::Ok;
}

}  // namespace locklab
