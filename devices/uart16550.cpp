#include "devices/uart16550.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

#include "devices/deadline.h"

namespace locklab {

namespace {
constexpr unsigned kTriggerLevels[4] = {1, 4, 8, 14};  // FCR bits 7:6
constexpr uint8_t kLsrErrors = Uart16550::kLsrOe | Uart16550::kLsrPe | Uart16550::kLsrFe | Uart16550::kLsrBi;
}  // namespace

Uart16550::Uart16550(uint64_t region_size, uint64_t clock_hz, AioContext& ctx, IrqLine irq,
                     std::unique_ptr<CharSink> out, int in_fd)
    : MmioDevice("serial-mm", region_size, 1, 8),
      clock_hz_(clock_hz),
      ctx_(ctx),
      irq_(irq),
      out_(std::move(out)),
      in_fd_(in_fd)
{
    // Its own lock suffices: its line takes only the PLIC's leaf lock, and the fd handler, BHs and
    // timer it uses may be changed from any thread.
    lock_domain().bql_free = true;
    if (!out_) throw std::invalid_argument("uart16550: no output sink");
    if (clock_hz_ == 0) throw std::invalid_argument("uart16550: input clock must not be 0");
    if (in_fd_ >= 0 && fcntl(in_fd_, F_GETFD) < 0)
        throw std::invalid_argument(fmt::format("serial input fd {}: {}", in_fd_, std::strerror(errno)));
}

void Uart16550::do_realize()
{
    rx_timeout_ = ctx_.new_timer(ClockType::Virtual, [this] { run_async([this] { on_rx_timeout(); }); });
    if (in_fd_ < 0) return;
    raw_tty_.emplace(in_fd_);
    input_ = Input::Reading;
    try {
        set_input_handler(true);
    } catch (const std::system_error&) {  // a regular file or /dev/null: epoll refuses, reads never block
        handler_installed_ = false;
        pollable_ = false;
        set_input_handler(true);
    }
}

void Uart16550::do_unrealize()
{
    DeviceLockGuard lock(*this);
    set_input_handler(false);
    input_ = Input::Closed;
    rx_timeout_.reset();
    raw_tty_.reset();
}

void Uart16550::do_reset()
{
    rx_timeout_->del();
    s_ = State{};
    update_irq();
    resume_input();
}

// --- registers -----------------------------------------------------------------------------------

MemTx Uart16550::mmio_read(hwaddr offset, unsigned, uint64_t& value)
{
    const bool dlab = s_.lcr & kLcrDlab;
    switch (offset & 7) {
    case kRbrThr: value = dlab ? s_.divisor & 0xff : read_rbr(); break;
    case kIer: value = dlab ? s_.divisor >> 8 : s_.ier; break;
    case kIirFcr: value = read_iir(); break;
    case kLcr: value = s_.lcr; break;
    case kMcr: value = s_.mcr; break;
    case kLsr:
        value = s_.lsr;
        if (s_.lsr & (kLsrOe | kLsrBi)) {
            s_.lsr &= uint8_t(~(kLsrOe | kLsrBi));
            update_irq();
        }
        break;
    case kMsr:
        value = s_.msr;
        if (s_.msr & 0x0f) {
            s_.msr &= 0xf0;
            update_irq();
        }
        break;
    case kScr: value = s_.scr; break;
    }
    return MemTx::Ok;
}

MemTx Uart16550::mmio_write(hwaddr offset, unsigned, uint64_t value)
{
    const auto v = uint8_t(value);
    const bool dlab = s_.lcr & kLcrDlab;
    switch (offset & 7) {
    case kRbrThr:
        if (dlab) s_.divisor = uint16_t((s_.divisor & 0xff00) | v);
        else transmit(v);
        break;
    case kIer:
        if (dlab) s_.divisor = uint16_t((s_.divisor & 0x00ff) | v << 8);
        else write_ier(v);
        break;
    case kIirFcr: write_fcr(v); break;
    case kLcr: s_.lcr = v; break;
    case kMcr: write_mcr(v); break;
    case kLsr:
    case kMsr: return reserved_write(offset);  // read-only
    case kScr: s_.scr = v; break;
    }
    return MemTx::Ok;
}

uint8_t Uart16550::read_rbr()
{
    if (!s_.rx.empty()) {
        s_.rbr = s_.rx.front();
        s_.rx.pop_front();
    }
    s_.timeout_ipending = false;
    if (s_.rx.empty()) {
        s_.lsr &= uint8_t(~(kLsrDr | kLsrBi));
        rx_timeout_->del();
    } else if (fifo_enabled()) {
        arm_rx_timeout();
    }
    update_irq();
    resume_input();
    return s_.rbr;
}

void Uart16550::write_ier(uint8_t v)
{
    const uint8_t changed = (s_.ier ^ v) & 0x0f;
    s_.ier = v & 0x0f;
    if (changed & kIerThri) s_.thr_ipending = (s_.ier & kIerThri) && (s_.lsr & kLsrThre);  // enabling re-raises THRE
    update_irq();
}

uint8_t Uart16550::read_iir()
{
    const uint8_t value = s_.iir | (fifo_enabled() ? kIirFifoEnabled : 0);
    if (s_.iir == kIirThri) {  // reading IIR acknowledges THR empty
        s_.thr_ipending = false;
        update_irq();
    }
    return value;
}

void Uart16550::write_fcr(uint8_t v)
{
    if ((v ^ s_.fcr) & kFcrEnable) v |= kFcrClearRx | kFcrClearTx;  // switching FIFO mode empties both
    if (v & kFcrClearRx) clear_rx();
    if (v & kFcrClearTx) {
        s_.lsr |= kLsrThre | kLsrTemt;
        s_.thr_ipending = true;
    }
    s_.fcr = v & (kFcrEnable | kFcrTriggerMask);
    update_irq();
    resume_input();
}

void Uart16550::write_mcr(uint8_t v)
{
    s_.mcr = v & 0x1f;
    update_modem_status();
    update_irq();
    resume_input();  // leaving loopback lets host input in again
}

void Uart16550::update_modem_status()
{
    uint8_t lines = kMsrDcd | kMsrDsr | kMsrCts;  // stdio: carrier, data set ready, clear to send
    if (s_.mcr & kMcrLoop) {
        lines = uint8_t(((s_.mcr & kMcrRts) ? kMsrCts : 0) | ((s_.mcr & kMcrDtr) ? kMsrDsr : 0) |
                        ((s_.mcr & kMcrOut1) ? kMsrRi : 0) | ((s_.mcr & kMcrOut2) ? kMsrDcd : 0));
    }
    const uint8_t changed = (s_.msr ^ lines) & 0xf0;
    uint8_t deltas = 0;
    if (changed & kMsrCts) deltas |= kMsrDcts;
    if (changed & kMsrDsr) deltas |= kMsrDdsr;
    if ((changed & kMsrRi) && !(lines & kMsrRi)) deltas |= kMsrTeri;  // trailing edge only
    if (changed & kMsrDcd) deltas |= kMsrDdcd;
    s_.msr = uint8_t(lines | (s_.msr & 0x0f) | deltas);
}

void Uart16550::transmit(uint8_t byte)
{
    if (s_.mcr & kMcrLoop) receive(byte);
    else out_->write(&byte, 1);
    s_.lsr |= kLsrThre | kLsrTemt;  // transmission is immediate
    s_.thr_ipending = true;
    update_irq();
}

void Uart16550::receive(uint8_t byte)
{
    if (fifo_enabled()) {
        if (s_.rx.size() < kFifoSize) s_.rx.push_back(byte);
        else s_.lsr |= kLsrOe;
        arm_rx_timeout();
    } else {
        if (s_.lsr & kLsrDr) s_.lsr |= kLsrOe;  // the holding register is overwritten
        s_.rx.assign(1, byte);
    }
    s_.lsr |= kLsrDr;
    update_irq();
}

void Uart16550::clear_rx()
{
    s_.rx.clear();
    s_.lsr &= uint8_t(~(kLsrDr | kLsrBi));
    s_.timeout_ipending = false;
    rx_timeout_->del();
}

unsigned Uart16550::rx_room() const
{
    if (s_.mcr & kMcrLoop) return 0;  // host input waits while the guest talks to itself
    const unsigned capacity = fifo_enabled() ? kFifoSize : 1;
    return s_.rx.size() >= capacity ? 0 : capacity - unsigned(s_.rx.size());
}

void Uart16550::arm_rx_timeout()
{
    // One character: start bit, 5..8 data bits, optional parity, 1 or 2 stop bits; at
    // clock / (16 * divisor) bits per second. The timeout is 4 characters.
    const unsigned bits = 1 + 5 + (s_.lcr & 3) + ((s_.lcr & 0x08) ? 1 : 0) + ((s_.lcr & 0x04) ? 2 : 1);
    const uint64_t divisor = s_.divisor ? s_.divisor : 1;
    const uint64_t char_ns = bits * 16 * divisor * 1'000'000'000 / clock_hz_;
    s_.rx_timeout_deadline = deadline_after(clock_ns(ClockType::Virtual), 4 * char_ns);
    rx_timeout_->mod(s_.rx_timeout_deadline);
}

void Uart16550::on_rx_timeout()
{
    // A callback the vCPU thread's del()/mod() came too late for still runs: re-check.
    if (s_.rx.empty() || clock_ns(ClockType::Virtual) < s_.rx_timeout_deadline) return;
    s_.timeout_ipending = true;
    update_irq();
}

void Uart16550::update_irq()
{
    const bool data_ready = s_.lsr & kLsrDr;
    if ((s_.ier & kIerRlsi) && (s_.lsr & kLsrErrors)) s_.iir = kIirRlsi;
    else if ((s_.ier & kIerRdi) && s_.timeout_ipending) s_.iir = kIirCti;
    else if ((s_.ier & kIerRdi) && data_ready &&
             (!fifo_enabled() || s_.rx.size() >= kTriggerLevels[s_.fcr >> 6]))
        s_.iir = kIirRdi;
    else if ((s_.ier & kIerThri) && s_.thr_ipending) s_.iir = kIirThri;
    else if ((s_.ier & kIerMsi) && (s_.msr & 0x0f)) s_.iir = kIirMsi;
    else s_.iir = kIirNone;
    irq_.set(s_.iir != kIirNone);
}

// --- input ---------------------------------------------------------------------------------------

void Uart16550::pull_input()
{
    if (input_ != Input::Reading) return;
    const unsigned room = rx_room();
    if (room == 0) {  // flow control: stop watching the fd until the guest makes room
        input_ = Input::Paused;
        set_input_handler(false);
        return;
    }
    // Under a trylock lock model this may run after its readiness event, once another pass has
    // drained the fd: read only if a read cannot block.
    pollfd ready{in_fd_, POLLIN, 0};
    if (pollable_ && ::poll(&ready, 1, 0) == 0) return;
    uint8_t buf[kFifoSize];
    const ssize_t n = ::read(in_fd_, buf, room);  // readable (or not pollable: never blocks)
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
        if (n < 0) fmt::print(stderr, "locklab: serial input fd {}: {}; input closed\n", in_fd_, std::strerror(errno));
        input_ = Input::Closed;  // EOF: the guest sees no more input
        set_input_handler(false);
        return;
    }
    for (ssize_t i = 0; i < n; ++i) receive(buf[i]);
    if (!pollable_) set_input_handler(true);  // always ready: fetch the next batch in a later BH
}

void Uart16550::set_input_handler(bool installed)
{
    if (!pollable_) {
        // No readiness to wait for: one one-shot BH per batch (the reference outlives the device's
        // unrealize; pull_input then finds the input closed).
        if (installed)
            ctx_.schedule_oneshot([self = Ref<Uart16550>(this)] { self->run_async([dev = self.get()] { dev->pull_input(); }); });
        return;
    }
    if (installed == handler_installed_) return;
    handler_installed_ = installed;
    if (installed) ctx_.set_fd_handler(in_fd_, [this] { run_async([this] { pull_input(); }); });
    else ctx_.set_fd_handler(in_fd_, {});
}

void Uart16550::resume_input()
{
    if (input_ != Input::Paused || rx_room() == 0) return;
    input_ = Input::Reading;
    set_input_handler(true);
}

}  // namespace locklab
