// libFuzzer target for the split-virtqueue descriptor walker (devices/virtqueue.h): the input is a
// queue configuration and a guest RAM image holding rings and descriptors; the target pops and
// pushes until the queue is empty or broken. Whatever the bytes, it must neither crash nor hang
// (every walk is bounded) nor touch memory outside guest RAM.
//
// Input layout: [0] log2 of the queue size (mod 9: 1..256 entries), [1] bit 0 indirect, bit 1
// event-idx, [2..3] [4..5] [6..7] little-endian offsets of the descriptor table, driver and device
// rings inside RAM, then the RAM image (64 KiB at 0x8000_0000; the rest is zero).
#include <cstdint>
#include <cstring>
#include <algorithm>

#include "devices/virtqueue.h"

using namespace locklab;

namespace {

constexpr hwaddr kRamBase = 0x8000'0000;
constexpr uint64_t kRamSize = 64 * 1024;
constexpr size_t kHeader = 8;

alignas(4096) uint8_t ram[kRamSize];  // page-aligned like guest RAM, so ring alignment carries over

// Guest RAM as a device sees it: [kRamBase, kRamBase + kRamSize), nothing else.
uint8_t* ram_lookup(hwaddr addr, uint64_t len)
{
    if (addr < kRamBase || addr - kRamBase > kRamSize || len > kRamSize - (addr - kRamBase)) return nullptr;
    return ram + (addr - kRamBase);
}

uint16_t le16(const uint8_t* p) { return uint16_t(p[0] | p[1] << 8); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < kHeader) return 0;
    std::memset(ram, 0, kRamSize);
    std::memcpy(ram, data + kHeader, std::min<size_t>(size - kHeader, kRamSize));

    VirtQueueConfig cfg;
    cfg.size = uint16_t(1u << (data[0] % 9));
    cfg.indirect = data[1] & 1;
    cfg.event_idx = data[1] & 2;
    cfg.desc = kRamBase + le16(data + 2);
    cfg.avail = kRamBase + le16(data + 4);
    cfg.used = kRamBase + le16(data + 6);

    VirtQueue vq(ram_lookup);
    if (!vq.setup(cfg)) return 0;
    // At most one full ring's worth per pass: pop() refuses an index that moved further.
    for (unsigned n = 0; n <= cfg.size; ++n) {
        std::optional<VirtQueueElement> elem = vq.pop();
        if (!elem) break;
        uint64_t written = 0;
        for (std::span<uint8_t> b : elem->in) {  // the device writes its buffers (they may overlap the rings)
            std::memset(b.data(), 0xa5, b.size());
            written += b.size();
        }
        for (std::span<const uint8_t> b : elem->out) written += b.empty() ? 0 : b.front() & 1;
        vq.push(*elem, uint32_t(written));
        vq.should_notify();
    }
    return 0;
}
