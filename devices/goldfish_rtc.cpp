#include "devices/goldfish_rtc.h"

#include "devices/deadline.h"

namespace locklab {

GoldfishRtc::GoldfishRtc(uint64_t region_size, AioContext& ctx, IrqLine irq)
    : MmioDevice("goldfish_rtc", region_size, 4, 4), ctx_(ctx), irq_(irq)
{
    lock_domain().bql_free = true;  // its own lock suffices: a timer and a PLIC line (the PLIC's leaf lock)
}

void GoldfishRtc::do_realize()
{
    alarm_ = ctx_.new_timer(ClockType::Realtime, [this] { run_async([this] { on_alarm(); }); });
}

void GoldfishRtc::do_unrealize()
{
    DeviceLockGuard lock(*this);
    alarm_.reset();  // no alarm callback after unrealize
    s_.alarm_running = false;
}

void GoldfishRtc::do_reset()
{
    alarm_->del();
    s_ = State{};  // the time follows the host's wall clock again
    update_irq();
}

uint64_t GoldfishRtc::now() const { return uint64_t(clock_ns(ClockType::Realtime)) + s_.offset; }

void GoldfishRtc::set_time(uint64_t t) { s_.offset += t - now(); }

void GoldfishRtc::arm_alarm()
{
    const int64_t host_now = clock_ns(ClockType::Realtime);
    const uint64_t guest_now = uint64_t(host_now) + s_.offset;
    if (s_.alarm_next <= guest_now) {
        clear_alarm();
        s_.irq_pending = true;
        update_irq();
        return;
    }
    alarm_->mod(deadline_after(host_now, s_.alarm_next - guest_now));
    s_.alarm_running = true;
}

void GoldfishRtc::clear_alarm()
{
    alarm_->del();
    s_.alarm_running = false;
}

void GoldfishRtc::on_alarm()
{
    // A callback that a vCPU's CLEAR_ALARM or re-arm came too late for still runs: re-check. If the
    // guest moved its clock back meanwhile, wait for the alarm time again.
    if (!s_.alarm_running) return;
    if (now() < s_.alarm_next) {
        arm_alarm();
        return;
    }
    s_.alarm_running = false;
    s_.irq_pending = true;
    update_irq();
}

void GoldfishRtc::update_irq() { irq_.set(s_.irq_pending && s_.irq_enabled); }

MemTx GoldfishRtc::mmio_read(hwaddr offset, unsigned, uint64_t& value)
{
    switch (offset) {
    case kTimeLow: {
        const uint64_t t = now();
        s_.time_high = uint32_t(t >> 32);
        value = uint32_t(t);
        return MemTx::Ok;
    }
    case kTimeHigh: value = s_.time_high; return MemTx::Ok;
    case kAlarmLow: value = uint32_t(s_.alarm_next); return MemTx::Ok;
    case kAlarmHigh: value = uint32_t(s_.alarm_next >> 32); return MemTx::Ok;
    case kIrqEnabled: value = s_.irq_enabled; return MemTx::Ok;
    case kAlarmStatus: value = s_.alarm_running; return MemTx::Ok;
    default: break;
    }
    return reserved_read(offset, value);
}

MemTx GoldfishRtc::mmio_write(hwaddr offset, unsigned size, uint64_t value)
{
    switch (offset) {
    case kTimeLow: set_time(reg_write_part(now(), 0, size, value)); return MemTx::Ok;
    case kTimeHigh: set_time(reg_write_part(now(), 4, size, value)); return MemTx::Ok;
    case kAlarmLow:
        s_.alarm_next = reg_write_part(s_.alarm_next, 0, size, value);
        arm_alarm();
        return MemTx::Ok;
    case kAlarmHigh: s_.alarm_next = reg_write_part(s_.alarm_next, 4, size, value); return MemTx::Ok;
    case kIrqEnabled:
        s_.irq_enabled = value & 1;
        update_irq();
        return MemTx::Ok;
    case kClearAlarm: clear_alarm(); return MemTx::Ok;
    case kClearInterrupt:
        s_.irq_pending = false;
        update_irq();
        return MemTx::Ok;
    default: break;
    }
    return reserved_write(offset);
}

}  // namespace locklab
