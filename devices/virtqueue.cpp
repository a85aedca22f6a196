#include "devices/virtqueue.h"

#include <atomic>
#include <bit>

#include "devices/virtio_defs.h"
#include "memory/guest_ram_order.h"

namespace locklab {

using namespace virtio;

namespace {

// struct virtq_desc, little-endian like the host.
struct Desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

// A little-endian 64-bit word of guest RAM read with relaxed atomic loads, as vCPUs access it: one
// load if aligned, else byte by byte.
uint64_t load64_relaxed(const uint8_t* p)
{
    auto* w = const_cast<uint8_t*>(p);
    if (reinterpret_cast<uintptr_t>(w) % alignof(uint64_t) == 0)
        return std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(w)).load(std::memory_order_relaxed);
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; ++i) v |= uint64_t(std::atomic_ref<uint8_t>(w[i]).load(std::memory_order_relaxed)) << (8 * i);
    return v;
}

// A descriptor as the device sees it while a vCPU may be writing it (a misbehaving or racing
// guest): read with relaxed atomic loads, so the race is defined behaviour (and TSan sees atomics
// on both sides). Indirect tables need not be 8-byte aligned. Little-endian host, like the rest of
// locklab.
Desc read_desc(const uint8_t* p)
{
    Desc d;
    d.addr = load64_relaxed(p);
    const uint64_t rest = load64_relaxed(p + 8);
    d.len = uint32_t(rest);
    d.flags = uint16_t(rest >> 32);
    d.next = uint16_t(rest >> 48);
    return d;
}
static_assert(sizeof(Desc) == kDescSize);

// Offsets inside the driver (avail) and device (used) areas.
constexpr uint64_t kRingHeader = 4;  // flags, idx
uint64_t avail_bytes(uint16_t n, bool event_idx) { return kRingHeader + 2ull * n + (event_idx ? 2 : 0); }
uint64_t used_bytes(uint16_t n, bool event_idx) { return kRingHeader + kUsedElemSize * n + (event_idx ? 2 : 0); }

void store32(uint8_t* p, uint32_t v) { std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(p)).store(v, std::memory_order_relaxed); }

}  // namespace

uint64_t VirtQueueElement::out_bytes() const
{
    uint64_t n = 0;
    for (auto b : out) n += b.size();
    return n;
}

uint64_t VirtQueueElement::in_bytes() const
{
    uint64_t n = 0;
    for (auto b : in) n += b.size();
    return n;
}

bool VirtQueue::fail(const char* what)
{
    if (!error_) error_ = what;
    return false;
}

uint8_t* VirtQueue::guest(uint64_t addr, uint64_t len) const
{
    if (len == 0 || addr + len < addr) return nullptr;
    return ram_(addr, len);
}

uint16_t VirtQueue::load16(const uint8_t* p) const
{
    return std::atomic_ref<uint16_t>(*reinterpret_cast<uint16_t*>(const_cast<uint8_t*>(p)))
        .load(std::memory_order_acquire);
}

void VirtQueue::store16(uint8_t* p, uint16_t v) const
{
    std::atomic_ref<uint16_t>(*reinterpret_cast<uint16_t*>(p)).store(v, std::memory_order_release);
}

bool VirtQueue::setup(const VirtQueueConfig& cfg)
{
    reset();
    cfg_ = cfg;
    if (cfg.size == 0 || cfg.size > kQueueMaxSize || !std::has_single_bit(cfg.size))
        return fail("queue size is not a power of two in 1..1024");
    if (cfg.desc % 16 || cfg.avail % 2 || cfg.used % 4) return fail("misaligned ring address");
    uint8_t* d = guest(cfg.desc, kDescSize * cfg.size);
    uint8_t* a = guest(cfg.avail, avail_bytes(cfg.size, cfg.event_idx));
    uint8_t* u = guest(cfg.used, used_bytes(cfg.size, cfg.event_idx));
    if (!d || !a || !u) return fail("ring outside RAM");
    desc_ = d;
    avail_ = a;
    used_ = u;
    return true;
}

void VirtQueue::reset()
{
    cfg_ = {};
    desc_ = avail_ = used_ = nullptr;
    last_avail_ = used_idx_ = signalled_used_ = 0;
    signalled_used_valid_ = false;
    error_ = nullptr;
}

bool VirtQueue::has_available() const
{
    return ready() && load16(avail_ + 2) != last_avail_;
}

std::optional<VirtQueueElement> VirtQueue::pop()
{
    if (!ready()) return std::nullopt;
    // Acquire: the entries before the index, and the buffers the guest wrote before its FENCE, are
    // visible (to plain reads too: memory/guest_ram_order.h).
    const uint16_t avail_idx = load16(avail_ + 2);
    guest_ram_acquire();
    const uint16_t pending = uint16_t(avail_idx - last_avail_);
    if (pending == 0) return std::nullopt;
    if (pending > cfg_.size) {
        fail("available index moved by more than the queue size");
        return std::nullopt;
    }
    const uint16_t head = load16(avail_ + kRingHeader + 2ull * (last_avail_ % cfg_.size));
    if (head >= cfg_.size) {
        fail("available ring names a descriptor beyond the queue size");
        return std::nullopt;
    }
    VirtQueueElement elem;
    elem.head = head;
    if (!read_chain(head, elem)) return std::nullopt;
    ++last_avail_;
    if (cfg_.event_idx) store16(used_ + kRingHeader + kUsedElemSize * cfg_.size, last_avail_);  // avail_event
    return elem;
}

bool VirtQueue::read_chain(uint16_t head, VirtQueueElement& elem)
{
    const uint8_t* table = desc_;
    uint32_t table_len = cfg_.size;
    bool in_indirect = false;
    uint32_t i = head, walked = 0;
    for (;;) {
        // Bounded walk: a chain visits each descriptor of its table at most once, so a longer
        // one loops.
        if (++walked > table_len) return fail("descriptor chain longer than its table (a loop)");
        // An indirect table may be longer than the queue, but no chain may be (virtio 1.2
        // 2.7.5.3.1: "A driver MUST NOT create a descriptor chain longer than the Queue Size").
        if (walked > cfg_.size) return fail("descriptor chain longer than the queue size");
        Desc d;
        d = read_desc(table + kDescSize * i);
        if (d.flags & kDescFIndirect) {
            if (!cfg_.indirect) return fail("indirect descriptor without VIRTIO_F_RING_INDIRECT_DESC");
            if (in_indirect) return fail("nested indirect descriptor");
            if (walked != 1) return fail("indirect descriptor not at the head of its chain");
            if (d.flags & kDescFNext) return fail("indirect descriptor with NEXT set");
            if (d.len == 0 || d.len % kDescSize) return fail("indirect table length is 0 or not a multiple of 16");
            if (d.len / kDescSize > kQueueMaxSize) return fail("indirect table longer than 1024 descriptors");
            table = guest(d.addr, d.len);
            if (!table) return fail("indirect table outside RAM");
            table_len = d.len / kDescSize;
            in_indirect = true;
            i = 0;
            walked = 0;
            continue;
        }
        if (!add_buffer(d.addr, d.len, d.flags, elem)) return false;
        if (!(d.flags & kDescFNext)) return true;
        if (d.next >= table_len) return fail("descriptor's next index beyond its table");
        i = d.next;
    }
}

bool VirtQueue::add_buffer(uint64_t addr, uint32_t len, uint16_t flags, VirtQueueElement& elem)
{
    if (len == 0) return fail("zero-length buffer");
    if (addr + len < addr) return fail("buffer wraps around the address space");
    uint8_t* p = guest(addr, len);
    if (!p) return fail("buffer outside RAM (DMA into MMIO or unassigned memory is refused)");
    if (flags & kDescFWrite) {
        elem.in.emplace_back(p, len);
    } else {
        if (!elem.in.empty()) return fail("device-readable buffer after a device-writable one");
        elem.out.emplace_back(p, len);
    }
    return true;
}

void VirtQueue::push(const VirtQueueElement& elem, uint32_t written)
{
    if (!ready()) return;
    guest_ram_release();  // the device's writes into the buffers (plain ones too) before the index
    uint8_t* e = used_ + kRingHeader + kUsedElemSize * (used_idx_ % cfg_.size);
    store32(e, elem.head);
    store32(e + 4, written);
    ++used_idx_;
    // seq_cst: the element is visible before the index (release), and the index is ordered before
    // should_notify()'s seq_cst reads of the driver's suppression fields (spec 2.7.7.2 asks for a
    // full barrier between the two; this is one without atomic_thread_fence, which TSan lacks).
    std::atomic_ref<uint16_t>(*reinterpret_cast<uint16_t*>(used_ + 2)).store(used_idx_, std::memory_order_seq_cst);
}

uint16_t VirtQueue::load16_sc(const uint8_t* p) const
{
    return std::atomic_ref<uint16_t>(*reinterpret_cast<uint16_t*>(const_cast<uint8_t*>(p)))
        .load(std::memory_order_seq_cst);
}

bool VirtQueue::should_notify()
{
    if (!ready()) return false;
    // seq_cst reads, after push()'s seq_cst store of the used index (see there).
    if (!cfg_.event_idx) return !(load16_sc(avail_) & kAvailFNoInterrupt);
    const uint16_t old = signalled_used_;
    const bool valid = signalled_used_valid_;
    signalled_used_ = used_idx_;
    signalled_used_valid_ = true;
    if (!valid) return true;
    const uint16_t used_event = load16_sc(avail_ + kRingHeader + 2ull * cfg_.size);
    // vring_need_event: the driver's used_event lies in (old, new].
    return uint16_t(used_idx_ - used_event - 1) < uint16_t(used_idx_ - old);
}

}  // namespace locklab
