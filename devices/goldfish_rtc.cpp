#include "devices/goldfish_rtc.h"

#include "devices/deadline.h"

namespace locklab {

GoldfishRtc::GoldfishRtc(uint64_t region_size, AioContext& ctx, IrqLine irq)
    : MmioDevice("goldfish_rtc", region_size, 4, 4), ctx_(ctx), irq_(irq)
{
}

void GoldfishRtc::do_realize()
{
    alarm_ = ctx_.new_timer(ClockType::Realtime, [this] { run_async([this] { on_alarm(); }); });
}

void GoldfishRtc::do_unrealize()
{
    DeviceLockGuard lock;
    alarm_.reset();  // no alarm callback after unrealize
    alarm_running_ = false;
}

uint64_t GoldfishRtc::now() const { return uint64_t(clock_ns(ClockType::Realtime)) + offset_; }

void GoldfishRtc::set_time(uint64_t t) { offset_ += t - now(); }

void GoldfishRtc::arm_alarm()
{
    const int64_t host_now = clock_ns(ClockType::Realtime);
    const uint64_t guest_now = uint64_t(host_now) + offset_;
    if (alarm_next_ <= guest_now) {
        clear_alarm();
        irq_pending_ = true;
        update_irq();
        return;
    }
    alarm_->mod(deadline_after(host_now, alarm_next_ - guest_now));
    alarm_running_ = true;
}

void GoldfishRtc::clear_alarm()
{
    alarm_->del();
    alarm_running_ = false;
}

void GoldfishRtc::on_alarm()
{
    // A callback that a vCPU's CLEAR_ALARM or re-arm came too late for still runs: re-check. If the
    // guest moved its clock back meanwhile, wait for the alarm time again.
    if (!alarm_running_) return;
    if (now() < alarm_next_) {
        arm_alarm();
        return;
    }
    alarm_running_ = false;
    irq_pending_ = true;
    update_irq();
}

void GoldfishRtc::update_irq() { irq_.set(irq_pending_ && irq_enabled_); }

MemTx GoldfishRtc::mmio_read(hwaddr offset, unsigned, uint64_t& value)
{
    switch (offset) {
    case kTimeLow: {
        const uint64_t t = now();
        time_high_ = uint32_t(t >> 32);
        value = uint32_t(t);
        return MemTx::Ok;
    }
    case kTimeHigh: value = time_high_; return MemTx::Ok;
    case kAlarmLow: value = uint32_t(alarm_next_); return MemTx::Ok;
    case kAlarmHigh: value = uint32_t(alarm_next_ >> 32); return MemTx::Ok;
    case kIrqEnabled: value = irq_enabled_; return MemTx::Ok;
    case kAlarmStatus: value = alarm_running_; return MemTx::Ok;
    default: break;
    }
    guest_error("read of a reserved or write-only register", offset);
    return MemTx::AccessError;
}

MemTx GoldfishRtc::mmio_write(hwaddr offset, unsigned size, uint64_t value)
{
    switch (offset) {
    case kTimeLow: set_time(reg_write_part(now(), 0, size, value)); return MemTx::Ok;
    case kTimeHigh: set_time(reg_write_part(now(), 4, size, value)); return MemTx::Ok;
    case kAlarmLow:
        alarm_next_ = reg_write_part(alarm_next_, 0, size, value);
        arm_alarm();
        return MemTx::Ok;
    case kAlarmHigh: alarm_next_ = reg_write_part(alarm_next_, 4, size, value); return MemTx::Ok;
    case kIrqEnabled:
        irq_enabled_ = value & 1;
        update_irq();
        return MemTx::Ok;
    case kClearAlarm: clear_alarm(); return MemTx::Ok;
    case kClearInterrupt:
        irq_pending_ = false;
        update_irq();
        return MemTx::Ok;
    default: break;
    }
    guest_error("write to a reserved or read-only register", offset);
    return MemTx::AccessError;
}

}  // namespace locklab
