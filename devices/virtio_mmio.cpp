#include "devices/virtio_mmio.h"

#include <bit>
#include <stdexcept>

namespace locklab {

using namespace virtio;

VirtioMmio::VirtioMmio(IrqLine irq, bool legacy, bool ioeventfd)
    : MmioDevice("virtio-mmio", kRegionSize, 1, 8), legacy_(legacy), ioeventfd_(ioeventfd), irq_(irq)
{
    lock_domain().bql_free = true;  // registers under the device lock; the ring side uses atomics
}

VirtioMmio::~VirtioMmio() = default;

VirtioDevice* VirtioMmio::device() const { return device_.get(); }

// ---- plugging (main loop thread) ----

void VirtioMmio::plug(Ref<VirtioDevice> dev)
{
    if (!dev) throw std::invalid_argument("virtio-mmio: plug of a null device");
    if (!realized()) throw std::logic_error("virtio-mmio: plug into an unrealized transport");
    {
        DeviceLockGuard lock(*this);
        if (device_) throw std::logic_error("virtio-mmio: slot already holds a " + std::string(device_->type_name()));
    }
    dev->bind(this);
    dev->realize();
    DeviceLockGuard lock(*this);
    device_ = std::move(dev);
    reset_registers();
}

Ref<VirtioDevice> VirtioMmio::unplug()
{
    Ref<VirtioDevice> dev;
    {
        DeviceLockGuard lock(*this);
        dev = std::move(device_);  // vCPUs see an empty slot from here on
    }
    if (!dev) return dev;
    dev->bind(nullptr);  // completions still running no longer interrupt
    {
        DrainedSection drained(*dev);  // requests in flight complete, nothing new starts
        dev->unrealize();
    }
    DeviceLockGuard lock(*this);
    reset_registers();
    return dev;
}

void VirtioMmio::do_unrealize() { unplug(); }

void VirtioMmio::do_reset()
{
    reset_registers();
    if (device_) device_->request_reset();
}

void VirtioMmio::reset_registers()
{
    device_features_sel_ = driver_features_sel_ = queue_sel_ = 0;
    driver_features_ = 0;
    guest_page_shift_ = 0;
    queues_ = {};
    if (device_)
        for (QueueRegs& q : queues_) q.num = device_->queue_max_size();  // QEMU's vring.num_default
    status_.store(0);
    isr_.store(0);
    if (device_) device_->set_driver_features(0);
    update_irq();
}

// ---- the ring side's requests (any thread) ----

void VirtioMmio::update_irq()
{
    std::lock_guard lk(irq_mutex_);
    irq_.set(isr_.load() != 0);  // the last caller sees the latest bits, so the line ends right
}

void VirtioMmio::raise_interrupt(uint32_t isr_bits)
{
    isr_.fetch_or(isr_bits);
    update_irq();
}

void VirtioMmio::device_broken(const char* what, unsigned queue)
{
    guest_error(what, queue);
    status_.fetch_or(kStatusNeedsReset);
    if (!legacy_) raise_interrupt(kIsrConfigChange);
}

// ---- registers (vCPU threads, device lock held) ----

MemTx VirtioMmio::mmio_read(hwaddr offset, unsigned size, uint64_t& value)
{
    if (size < 8) return access32_read(offset, size, value);
    uint64_t lo = 0, hi = 0;
    access32_read(offset, 4, lo);
    access32_read(offset + 4, 4, hi);
    value = lo | hi << 32;
    return MemTx::Ok;
}

MemTx VirtioMmio::mmio_write(hwaddr offset, unsigned size, uint64_t value)
{
    if (size < 8) return access32_write(offset, size, value);
    access32_write(offset, 4, uint32_t(value));
    return access32_write(offset + 4, 4, value >> 32);
}

MemTx VirtioMmio::access32_read(hwaddr offset, unsigned size, uint64_t& value)
{
    if (!device_) {  // no backend: enough for a driver's probe to see an empty slot (as QEMU)
        switch (offset) {
        case kMagic: value = kMagicValue; break;
        case kVersion: value = legacy_ ? 1 : 2; break;
        case kVendor: value = kVendorId; break;
        default: value = 0; break;
        }
        return MemTx::Ok;
    }
    if (offset >= kConfig) {
        const uint64_t at = offset - kConfig;
        // Beyond the device's config space reads all-ones (QEMU's virtio_config_read*).
        value = at + size > device_->config_size() ? ~uint64_t(0) : device_->read_config(uint32_t(at), size);
        return MemTx::Ok;
    }
    if (size != 4) {
        guest_error("register access of a size other than 4 (reads 0)", offset);
        value = 0;
        return MemTx::Ok;
    }
    value = read_register(*device_, offset);
    return MemTx::Ok;
}

uint64_t VirtioMmio::offered_features(const VirtioDevice& dev) const
{
    const uint64_t f = dev.host_features() & ~feature(kFVersion1);
    return legacy_ ? f & 0xffff'ffffu : f | feature(kFVersion1);
}

VirtioMmio::QueueRegs* VirtioMmio::selected_queue(VirtioDevice& dev)
{
    return queue_sel_ < dev.num_queues() ? &queues_[queue_sel_] : nullptr;
}

uint32_t VirtioMmio::read_register(VirtioDevice& dev, hwaddr offset)
{
    QueueRegs* q = selected_queue(dev);
    switch (offset) {
    case kMagic: return kMagicValue;
    case kVersion: return legacy_ ? 1 : 2;
    case kDeviceId: return dev.device_id();
    case kVendor: return kVendorId;
    case kDeviceFeatures:
        if (device_features_sel_ > 1 || (legacy_ && device_features_sel_ != 0)) return 0;
        return uint32_t(offered_features(dev) >> (32 * device_features_sel_));
    case kQueueNumMax: return q ? kQueueMaxSize : 0;  // QEMU: VIRTQUEUE_MAX_SIZE whatever the device's default
    case kQueuePfn:
        if (!legacy_) break;
        return q ? q->pfn : 0;
    case kQueueReady:
        if (legacy_) break;
        return q && q->ready;
    case kInterruptStatus: return isr_.load();
    case kStatus: return dev.reset_in_progress() ? status_before_reset_ : status_.load();
    case kShmLenLow:
    case kShmLenHigh:
        if (legacy_) break;
        return 0xffff'ffffu;  // no shared memory region (QEMU)
    case kConfigGeneration:
        if (legacy_) break;
        return config_generation_.load();
    default: break;
    }
    guest_error("read of a write-only, reserved or other-version register (reads 0)", offset);
    return 0;
}

MemTx VirtioMmio::access32_write(hwaddr offset, unsigned size, uint64_t value)
{
    if (!device_) return MemTx::Ok;  // empty slot: writes ignored
    if (offset >= kConfig) {
        device_->write_config(uint32_t(offset - kConfig), size, value);
        return MemTx::Ok;
    }
    if (size != 4) {
        guest_error("register access of a size other than 4 (write ignored)", offset);
        return MemTx::Ok;
    }
    write_register(*device_, offset, uint32_t(value));
    return MemTx::Ok;
}

VirtQueueConfig VirtioMmio::queue_config(const QueueRegs& q) const
{
    VirtQueueConfig c;
    c.size = q.num > 0xffff ? 0 : uint16_t(q.num);  // 0: refused by VirtQueue::setup
    c.desc = q.desc;
    c.avail = q.driver;
    c.used = q.device;
    c.indirect = driver_features_ & feature(kFRingIndirectDesc);
    c.event_idx = driver_features_ & feature(kFRingEventIdx);
    return c;
}

void VirtioMmio::write_register(VirtioDevice& dev, hwaddr offset, uint32_t value)
{
    QueueRegs* q = selected_queue(dev);
    const bool modern_queue_reg = !legacy_ && q && !q->ready;  // modern rings change only while not ready
    auto set_half = [&](uint64_t& reg, bool high) {
        reg = high ? (reg & 0xffff'ffffu) | (uint64_t(value) << 32) : (reg & ~uint64_t(0xffff'ffffu)) | value;
    };
    switch (offset) {
    case kDeviceFeaturesSel: device_features_sel_ = value; return;
    case kDriverFeatures:
        if (legacy_) {  // legacy commits at once; only the low word exists
            if (driver_features_sel_ != 0) break;
            driver_features_ = value & offered_features(dev);
            dev.set_driver_features(driver_features_);
            return;
        }
        if (driver_features_sel_ > 1 || (status_.load() & kStatusFeaturesOk)) break;
        set_half(driver_features_, driver_features_sel_ == 1);
        return;
    case kDriverFeaturesSel: driver_features_sel_ = value; return;
    case kGuestPageSize:
        if (!legacy_) break;
        guest_page_shift_ = value ? unsigned(std::countr_zero(value)) : 0;  // QEMU: ctz, 0 for 0
        return;
    case kQueueSel: queue_sel_ = value; return;
    case kQueueNum:
        if (!q || (!legacy_ && q->ready)) break;
        q->num = value;
        return;
    case kQueueAlign:
        if (!legacy_ || !q) break;
        q->align = value;
        return;
    case kQueuePfn:
        if (!legacy_) break;
        write_queue_pfn(dev, value);
        return;
    case kQueueReady:
        if (legacy_ || !q) break;
        write_queue_ready(dev, value);
        return;
    case kQueueNotify:
        if ((value & 0xffff) >= dev.num_queues()) break;
        dev.kick(value & 0xffff, !ioeventfd_);
        return;
    case kInterruptAck:
        isr_.fetch_and(~value);
        update_irq();
        return;
    case kStatus: write_status(dev, value); return;
    case kQueueDescLow: case kQueueDescHigh:
        if (!modern_queue_reg) break;
        set_half(q->desc, offset == kQueueDescHigh);
        return;
    case kQueueDriverLow: case kQueueDriverHigh:
        if (!modern_queue_reg) break;
        set_half(q->driver, offset == kQueueDriverHigh);
        return;
    case kQueueDeviceLow: case kQueueDeviceHigh:
        if (!modern_queue_reg) break;
        set_half(q->device, offset == kQueueDeviceHigh);
        return;
    case kShmSel:
        if (legacy_) break;
        return;  // no shared memory regions to select
    default: break;
    }
    guest_error("write to a read-only, reserved or other-version register, or at the wrong time (ignored)", offset);
}

void VirtioMmio::write_queue_pfn(VirtioDevice& dev, uint32_t value)
{
    if (value == 0) {  // QEMU: a legacy driver releasing a queue resets the device
        reset_device(dev);
        return;
    }
    QueueRegs* q = selected_queue(dev);
    if (!q) {
        guest_error("QueuePFN of a queue the device does not have (ignored)", kQueuePfn);
        return;
    }
    // Legacy layout (spec 2.7 "Legacy Interfaces"): descriptors at PFN * GuestPageSize, the
    // available ring right after them, the used ring at the next QueueAlign boundary.
    q->pfn = value;
    q->desc = uint64_t(value) << guest_page_shift_;
    q->driver = q->desc + kDescSize * q->num;
    const uint64_t avail_end = q->driver + 6 + 2ull * q->num;
    const uint64_t align = q->align;
    q->device = std::has_single_bit(align) ? (avail_end + align - 1) & ~(align - 1) : 1;  // 1: misaligned, refused
    q->ready = true;
    dev.queue_enable(queue_sel_, queue_config(*q));
}

void VirtioMmio::write_queue_ready(VirtioDevice& dev, uint32_t value)
{
    QueueRegs& q = queues_[queue_sel_];
    const bool ready = value & 1;
    if (ready == q.ready) return;
    q.ready = ready;
    if (ready)
        dev.queue_enable(queue_sel_, queue_config(q));
    else
        dev.queue_disable(queue_sel_);
}

void VirtioMmio::reset_device(VirtioDevice& dev)
{
    if (!dev.reset_in_progress()) status_before_reset_ = status_.load();  // else: still the first one's
    // A driver's reset (Status 0, or a legacy QueuePFN 0) keeps the legacy GuestPageSize, as QEMU's
    // does (virtio_mmio_soft_reset): Linux and U-Boot write it once at probe, before they reset the
    // device, and never again. A machine reset or a hot-(un)plug clears it.
    const uint32_t page_shift = guest_page_shift_;
    reset_registers();
    if (legacy_) guest_page_shift_ = page_shift;
    dev.request_reset();
}

void VirtioMmio::write_status(VirtioDevice& dev, uint32_t value)
{
    if ((value & 0xff) == 0) {  // reset
        reset_device(dev);
        return;
    }
    const uint32_t old = status_.load();
    if (!legacy_ && (value & kStatusFeaturesOk) && !(old & kStatusFeaturesOk)) {
        const uint64_t offered = offered_features(dev);
        if ((driver_features_ & ~offered) || !(driver_features_ & feature(kFVersion1))) {
            guest_error("driver features not offered, or VIRTIO_F_VERSION_1 not accepted (FEATURES_OK refused)", kStatus);
            value &= ~kStatusFeaturesOk;
        } else {
            dev.set_driver_features(driver_features_);
        }
    }
    // NEEDS_RESET is the device's; only a reset clears it.
    uint32_t cur = old;
    while (!status_.compare_exchange_weak(cur, (value & 0xff & ~kStatusNeedsReset) | (cur & kStatusNeedsReset))) {
    }
    if ((value & kStatusDriverOk) && !(old & kStatusDriverOk)) dev.driver_ok();
    if (!(value & kStatusDriverOk) && (old & kStatusDriverOk)) dev.stop();
}

}  // namespace locklab
