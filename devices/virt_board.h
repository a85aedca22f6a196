// VirtBoard: QEMU's `virt` machine minus the harts (DESIGN.md "The guest machine"): RAM at
// 0x8000'0000, the test finisher, goldfish RTC, CLINT, PLIC and UART at their `virt` addresses,
// the eight virtio-mmio transports at 0x1000_1000 + 0x1000*i (PLIC source 1+i; empty until a
// VirtioDevice is plugged into one), locklab's hot-plug controller (its slots are filled by
// system/hotplug.h), the interrupt wiring between them and the harts, and the device tree that
// describes it all.
//
// The constructor creates, realizes, resets and maps every device; the destructor unmaps (one FlatView
// publication) and unrealizes them. Both run in the main-loop thread or while the loop is not
// running (the UART installs and removes its fd handler there). The devices themselves are freed
// when the last FlatView referencing them is reclaimed (RCU).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "devices/clint.h"
#include "devices/goldfish_rtc.h"
#include "devices/hotplug_controller.h"
#include "devices/plic.h"
#include "devices/test_finisher.h"
#include "devices/uart16550.h"
#include "devices/virtio_mmio.h"
#include "loop/aio_context.h"
#include "memory/address_space.h"
#include "qom/irq.h"

namespace locklab {

struct VirtBoardConfig {
    uint64_t ram_size = 128ull << 20;
    unsigned harts = 1;
    std::string serial_out_path;  // empty: stdout
    int serial_in_fd = 0;         // -1: no serial input
    std::string bootargs;
    // virtio-mmio register layout: version 1 (legacy) like QEMU's default, or version 2 like
    // QEMU's `-global virtio-mmio.force-legacy=false`.
    bool virtio_legacy = true;
    // QEMU's `-global virtio-mmio.ioeventfd`: off, as QEMU under TCG (devices/virtio_mmio.h).
    bool virtio_ioeventfd = false;
};

class VirtBoard {
public:
    // `hart_irq_sinks[N]` receives hart N's interrupt lines (line = mip bit). Throws
    // std::invalid_argument (bad config) or std::runtime_error (serial output cannot be opened).
    VirtBoard(const VirtBoardConfig& cfg, AddressSpace& as, AioContext& main_ctx,
              std::vector<IrqSink*> hart_irq_sinks);
    ~VirtBoard();
    VirtBoard(const VirtBoard&) = delete;
    VirtBoard& operator=(const VirtBoard&) = delete;

    MemoryRegion& ram() { return *ram_; }
    Clint& clint() { return *clint_; }
    Plic& plic() { return *plic_; }
    Uart16550& uart() { return *uart_; }
    GoldfishRtc& rtc() { return *rtc_; }
    HotplugController& hotplug() { return *hotplug_; }
    TestFinisher& finisher() { return *finisher_; }
    // virtio-mmio slot i (0..7); throws std::out_of_range otherwise.
    VirtioMmio& virtio_slot(unsigned i);

    // System reset: every device back to its power-on state (the constructor ends with one). The
    // machine calls it for a guest-requested reset, while no vCPU runs.
    void reset();

    std::vector<uint8_t> build_fdt() const;
    // Where finisher requests go; called on the requesting vCPU thread. Set before the machine runs.
    void set_shutdown_handler(std::function<void(ShutdownRequest)> h);

private:
    std::vector<std::pair<MmioDevice*, uint64_t>> placements() const;  // each device and its base

    const VirtBoardConfig cfg_;
    AddressSpace& as_;
    std::unique_ptr<MemoryRegion> ram_;
    // Created at construction, immutable afterwards (the objects are thread-safe themselves).
    Ref<TestFinisher> finisher_;
    Ref<Clint> clint_;
    Ref<Plic> plic_;  // before the devices whose lines it receives
    Ref<GoldfishRtc> rtc_;
    Ref<HotplugController> hotplug_;
    Ref<Uart16550> uart_;
    std::vector<Ref<VirtioMmio>> virtio_;  // slot i at kVirtioBase + i*kVirtioStride
};

}  // namespace locklab
