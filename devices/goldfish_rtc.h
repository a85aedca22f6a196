// goldfish RTC (QEMU's hw/rtc/goldfish_rtc.c; reference notes §6.6): wall-clock time in ns since the
// epoch and one alarm.
//
// Registers (32 bits, 4-byte accesses only):
//   0x00 TIME_LOW      read: low half of the time, and latches the high half for TIME_HIGH
//   0x04 TIME_HIGH     read: the latched high half; write: sets the time's high half
//   0x00 (write)       sets the time's low half (the offset to the host clock changes)
//   0x08 ALARM_LOW     write arms the alarm for ALARM_HIGH:ALARM_LOW (fires at once if already past)
//   0x0c ALARM_HIGH    write sets the alarm's high half (armed by the next ALARM_LOW write)
//   0x10 IRQ_ENABLED   bit 0 enables the interrupt line
//   0x14 CLEAR_ALARM   write disarms the alarm
//   0x18 ALARM_STATUS  read: 1 while the alarm is armed
//   0x1c CLEAR_INTERRUPT write lowers the pending interrupt
// Other offsets (and reads of write-only registers) read as 0, writes to them are ignored; logged.
// The line is level: pending && enabled. The alarm is a Realtime-clock timer in the main AioContext.
#pragma once

#include <cstdint>
#include <memory>

#include "devices/mmio_device.h"
#include "loop/aio_context.h"
#include "qom/irq.h"

namespace locklab {

class GoldfishRtc final : public MmioDevice {
public:
    enum : hwaddr {
        kTimeLow = 0x00, kTimeHigh = 0x04, kAlarmLow = 0x08, kAlarmHigh = 0x0c,
        kIrqEnabled = 0x10, kClearAlarm = 0x14, kAlarmStatus = 0x18, kClearInterrupt = 0x1c,
    };

    GoldfishRtc(uint64_t region_size, AioContext& ctx, IrqLine irq);

private:
    void do_realize() override;
    void do_unrealize() override;
    MemTx mmio_read(hwaddr offset, unsigned size, uint64_t& value) override;
    MemTx mmio_write(hwaddr offset, unsigned size, uint64_t value) override;
    void do_reset() override;  // alarm off, interrupt off, time = the host's wall clock again

    // Device lock held for all of these.
    uint64_t now() const;  // the guest's time in ns
    void set_time(uint64_t t);
    void arm_alarm();
    void clear_alarm();
    void on_alarm();
    void update_irq();

    AioContext& ctx_;      // the main context; the alarm runs in its home thread
    const IrqLine irq_;    // immutable after construction

    struct State {                  // as at reset
        uint64_t offset = 0;        // guest time - Realtime clock (mod 2^64)
        uint32_t time_high = 0;     // latched by TIME_LOW reads
        uint64_t alarm_next = 0;
        bool alarm_running = false;
        bool irq_pending = false;
        bool irq_enabled = false;
    };
    State s_;                       // device lock
    std::unique_ptr<Timer> alarm_;  // device lock; exists only while realized
};

}  // namespace locklab
