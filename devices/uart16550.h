// UART 16550A at register shift 0, as QEMU's serial_mm on the `virt` board (ns16550a).
//
// Registers (offset & 7; any access size, only the low byte is used, as QEMU's serial_mm):
//   0 RBR (read) / THR (write) / DLL (DLAB=1)     4 MCR   (loopback: bit 4)
//   1 IER / DLM (DLAB=1)                          5 LSR   (read-only; reading clears OE and BI)
//   2 IIR (read) / FCR (write)                    6 MSR   (read-only; reading clears the deltas)
//   3 LCR (bit 7: DLAB)                           7 SCR   (scratch)
//
// Interrupts (IIR, highest priority first): receiver line status (overrun/break), RX data at the
// FIFO trigger level, character timeout (data below the trigger level for 4 character times, on the
// Virtual clock), THR empty (cleared by reading IIR or writing THR), modem status. The line is driven
// on every update, so the PLIC re-latches a condition that is still present (pitfall 11).
//
// Transmission is immediate: THR writes go to the CharSink (or back into the receiver in loopback),
// so THRE/TEMT are always set. Input comes from `in_fd` through an fd handler in the main
// AioContext (no thread, no polling): each readiness reads at most the free FIFO space; when the FIFO
// is full (or the guest is in loopback) the handler is removed, and re-installed once the guest makes
// room; EOF or a read error removes it for good. An fd epoll cannot watch (a regular file, /dev/null)
// is always readable: it is read in one-shot bottom halves, one FIFO-full at a time. A terminal on `in_fd` is put in raw mode while the device is
// realized.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>

#include "devices/char_sink.h"
#include "devices/mmio_device.h"
#include "devices/tty_raw_mode.h"
#include "loop/aio_context.h"
#include "qom/irq.h"

namespace locklab {

class Uart16550 final : public MmioDevice {
public:
    enum : hwaddr { kRbrThr = 0, kIer = 1, kIirFcr = 2, kLcr = 3, kMcr = 4, kLsr = 5, kMsr = 6, kScr = 7 };
    enum : uint8_t { kIerRdi = 0x01, kIerThri = 0x02, kIerRlsi = 0x04, kIerMsi = 0x08 };
    enum : uint8_t { kIirNone = 0x01, kIirMsi = 0x00, kIirThri = 0x02, kIirRdi = 0x04, kIirRlsi = 0x06,
                     kIirCti = 0x0C, kIirFifoEnabled = 0xC0 };
    enum : uint8_t { kFcrEnable = 0x01, kFcrClearRx = 0x02, kFcrClearTx = 0x04, kFcrTriggerMask = 0xC0 };
    enum : uint8_t { kLcrDlab = 0x80 };
    enum : uint8_t { kMcrDtr = 0x01, kMcrRts = 0x02, kMcrOut1 = 0x04, kMcrOut2 = 0x08, kMcrLoop = 0x10 };
    enum : uint8_t { kLsrDr = 0x01, kLsrOe = 0x02, kLsrPe = 0x04, kLsrFe = 0x08, kLsrBi = 0x10,
                     kLsrThre = 0x20, kLsrTemt = 0x40 };
    enum : uint8_t { kMsrDcts = 0x01, kMsrDdsr = 0x02, kMsrTeri = 0x04, kMsrDdcd = 0x08,
                     kMsrCts = 0x10, kMsrDsr = 0x20, kMsrRi = 0x40, kMsrDcd = 0x80 };
    static constexpr unsigned kFifoSize = 16;

    // `in_fd` < 0: no input. The fd stays owned by the caller. Throws std::invalid_argument if
    // `in_fd` is not an open descriptor.
    Uart16550(uint64_t region_size, uint64_t clock_hz, AioContext& ctx, IrqLine irq,
              std::unique_ptr<CharSink> out, int in_fd);

private:
    void do_realize() override;
    void do_unrealize() override;
    MemTx mmio_read(hwaddr offset, unsigned size, uint64_t& value) override;
    MemTx mmio_write(hwaddr offset, unsigned size, uint64_t value) override;
    void do_reset() override;  // registers and FIFO to their reset values; input keeps flowing

    // All of the following run with the device lock held.
    uint8_t read_rbr();
    void write_ier(uint8_t v);
    uint8_t read_iir();
    void write_fcr(uint8_t v);
    void write_mcr(uint8_t v);
    void transmit(uint8_t byte);
    void receive(uint8_t byte);
    void clear_rx();
    void update_irq();
    void update_modem_status();  // MSR from MCR (loopback) or the fixed stdio lines, with deltas
    bool fifo_enabled() const { return s_.fcr & kFcrEnable; }
    unsigned rx_room() const;
    void arm_rx_timeout();
    void on_rx_timeout();

    // Input from in_fd_: None (no fd), Reading (handler installed), Paused (FIFO full, handler
    // removed), Closed (EOF or error, handler removed for good).
    enum class Input { None, Reading, Paused, Closed };
    void pull_input();                       // the fd handler (main-loop thread)
    void set_input_handler(bool installed);  // any thread (AioContext::set_fd_handler allows it)
    void resume_input();                     // the FIFO may have room again

    const uint64_t clock_hz_;
    AioContext& ctx_;                     // the main context: fd handler and timeout timer
    const IrqLine irq_;                   // immutable after construction
    const std::unique_ptr<CharSink> out_; // device lock (writes)
    const int in_fd_;                     // immutable; owned by the creator

    // Registers and receive FIFO, as at reset. Device lock.
    struct State {
        std::deque<uint8_t> rx;           // receive FIFO (capacity 1 with the FIFO disabled)
        uint8_t rbr = 0;                  // last byte read (returned again when empty)
        uint8_t ier = 0, iir = kIirNone, fcr = 0, lcr = 0, mcr = kMcrOut2, scr = 0;
        uint8_t lsr = kLsrThre | kLsrTemt, msr = kMsrDcd | kMsrDsr | kMsrCts;
        uint16_t divisor = 12;
        bool thr_ipending = false;        // THRE interrupt raised and not yet acknowledged
        bool timeout_ipending = false;    // character timeout raised
        int64_t rx_timeout_deadline = 0;  // Virtual-clock time the armed timeout is for
    };
    State s_;                             // device lock
    std::unique_ptr<Timer> rx_timeout_;   // exists only while realized

    Input input_ = Input::None;           // device lock
    bool handler_installed_ = false;      // device lock
    bool pollable_ = true;                // device lock; false: epoll refuses in_fd_ (file, /dev/null)
    std::optional<TtyRawMode> raw_tty_;   // device lock; while realized
};

}  // namespace locklab
