#include "devices/virtio_device.h"

#include <cstring>
#include <utility>

#include "locking/bql.h"
#include "loop/main_loop.h"

namespace locklab {

using namespace virtio;

VirtioDevice::VirtioDevice(const char* type, uint32_t device_id, unsigned num_queues, uint16_t queue_max,
                           size_t config_size, AddressSpace& dma, AioContext& ctx)
    : Device(type),
      Drainable(type, ctx),
      device_id_(device_id),
      queue_max_(queue_max),
      config_size_(config_size),
      dma_(dma),
      queues_(num_queues, VirtQueue([&dma](hwaddr a, uint64_t len) { return dma.ram_ptr(a, len); }))
{
    if (num_queues == 0 || num_queues > 32) throw std::invalid_argument(std::string(type) + ": 1..32 queues");
    lock_domain().bql_free = true;  // the transport's side is under the transport's lock, the rest atomic
    context_notifier_ = context_notifiers().add([this](AioContext& to) { on_context_attached(to); }, {});
}

VirtioDevice::~VirtioDevice()
{
    context_notifiers().remove(context_notifier_);
    if (notifier_attached_.exchange(false)) aio_context().set_event_notifier(host_notifier_, {});
}

uint64_t VirtioDevice::host_features() const
{
    return device_features() | feature(kFRingIndirectDesc) | feature(kFRingEventIdx);
}

uint64_t VirtioDevice::read_config(uint32_t offset, unsigned size) const
{
    std::vector<uint8_t> config(config_size_);
    read_config_bytes(config);
    uint64_t value = 0;
    for (unsigned i = 0; i < size && i < 8; ++i)
        if (uint64_t(offset) + i < config.size()) value |= uint64_t(config[offset + i]) << (8 * i);
    return value;
}

void VirtioDevice::write_config(uint32_t offset, unsigned size, uint64_t value)
{
    if (size > 8 || uint64_t(offset) + size > config_size_) return;
    uint8_t bytes[8];
    for (unsigned i = 0; i < size; ++i) bytes[i] = uint8_t(value >> (8 * i));
    write_config_bytes(offset, std::span<const uint8_t>(bytes, size));
}

// ---- transport side ----

void VirtioDevice::bind(VirtioTransport* transport) { transport_.store(transport); }

void VirtioDevice::set_driver_features(uint64_t features) { driver_features_.store(features, std::memory_order_release); }

void VirtioDevice::post(Command c)
{
    {
        std::lock_guard lk(commands_mutex_);
        commands_.push_back(c);
    }
    host_notifier_.set();
}

void VirtioDevice::queue_enable(unsigned q, const VirtQueueConfig& cfg) { post({Command::Kind::Enable, q, cfg}); }
void VirtioDevice::queue_disable(unsigned q) { post({Command::Kind::Disable, q, {}}); }
void VirtioDevice::driver_ok() { post({Command::Kind::DriverOk, 0, {}}); }
void VirtioDevice::stop() { post({Command::Kind::Stop, 0, {}}); }
void VirtioDevice::request_reset()
{
    resets_requested_.fetch_add(1);  // before the command: completions see it at once
    post({Command::Kind::Reset, 0, {}});
}

void VirtioDevice::kick(unsigned q, bool handle_here)
{
    if (q >= queues_.size()) return;
    kicked_.fetch_or(1u << q);
    // Without ioeventfd (QEMU under TCG), a device in the main loop handles the kick on the
    // notifying thread, under the BQL the ring side takes anyway. Detached (drained, moving,
    // unplugging): the bit waits for drained_end(), as a signalled notifier's would.
    if (handle_here && notifier_attached_.load() && &aio_context() == &main_context()) {
        run_ring_side();
        return;
    }
    host_notifier_.set();
}

bool VirtioDevice::reset_in_progress() const
{
    return resets_requested_.load() != resets_applied_.load() && in_flight() > 0;
}

bool VirtioDevice::idle() const
{
    std::lock_guard lk(commands_mutex_);
    return commands_.empty();
}

// ---- ring side ----

VirtioDevice::RingSideBql::RingSideBql(const VirtioDevice& dev, const std::source_location& site)
{
    if (&dev.aio_context() != &main_context() || bql_locked()) return;
    bql_lock(site);
    taken_ = true;
}

VirtioDevice::RingSideBql::~RingSideBql()
{
    if (taken_) bql_unlock();
}

void VirtioDevice::run_ring_side()
{
    RingSideBql bql(*this);
    std::lock_guard lk(ring_mutex_);
    if (!realized() || quiesced()) return;  // drained_end() signals the notifier again
    // From here the handler runs to the end of what the rings hold, also if a drained section
    // begins meanwhile (pop() goes on while in_handler_): the section waits for it on ring_mutex_
    // and then for every request it started, as QEMU's drain waits for a handler holding the
    // AioContext. Stopping at the section instead would strand the rest of the ring: a hot-unplug
    // would drop requests the driver had made available before it, at random.
    in_handler_ = true;
    struct Done {
        bool& flag;
        ~Done() { flag = false; }
    } done{in_handler_};
    if (!apply_commands()) return;  // a reset waits; its last completion signals again
    const uint32_t kicked = kicked_.exchange(0);
    if (!running_) return;  // DRIVER_OK processes every queue when it comes
    for (unsigned q = 0; q < queues_.size(); ++q)
        if (kicked & (1u << q)) handle_queue(q);
}

bool VirtioDevice::apply_commands()
{
    for (;;) {
        Command c;
        {
            std::lock_guard lk(commands_mutex_);
            if (commands_.empty()) return true;
            c = commands_.front();
            if (c.kind == Command::Kind::Reset && in_flight() > 0) {
                reset_waiting_ = true;  // the last request to end resumes (resume_waiting_reset)
                return false;
            }
            commands_.pop_front();
        }
        apply(c);
    }
}

void VirtioDevice::apply(const Command& c)
{
    switch (c.kind) {
    case Command::Kind::Enable:
        if (!queues_[c.queue].setup(c.cfg)) mark_broken(queues_[c.queue].error(), c.queue);
        break;
    case Command::Kind::Disable:
        queues_[c.queue].reset();
        break;
    case Command::Kind::DriverOk:
        running_ = true;
        for (unsigned q = 0; q < queues_.size(); ++q)
            if (queues_[q].ready()) handle_queue(q);  // requests queued before DRIVER_OK
        break;
    case Command::Kind::Stop:
        running_ = false;
        break;
    case Command::Kind::Reset:
        for (VirtQueue& vq : queues_) vq.reset();
        running_ = broken_ = reset_waiting_ = false;
        device_reset();
        resets_applied_.fetch_add(1);  // the last step: pops may start again
        break;
    }
}

std::optional<VirtQueueElement> VirtioDevice::pop(unsigned q)
{
    std::lock_guard lk(ring_mutex_);
    if (!running_ || broken_ || !realized() || (quiesced() && !in_handler_) || q >= queues_.size() ||
        reset_requested())
        return std::nullopt;
    std::optional<VirtQueueElement> elem = queues_[q].pop();
    if (!elem) {
        if (queues_[q].broken()) mark_broken(queues_[q].error(), q);
        return std::nullopt;
    }
    inc_in_flight();
    if (reset_requested()) {
        // The reset came after the check above; the transport may already have read in_flight()
        // as 0 and shown status 0, so the request must not start. It is dropped, as the reset
        // would drop it: nothing was transferred, the rings are about to be reset.
        resume_waiting_reset();
        dec_in_flight();
        return std::nullopt;
    }
    return elem;
}

void VirtioDevice::complete(unsigned q, const VirtQueueElement& elem, uint32_t written)
{
    {
        RingSideBql bql(*this);
        std::lock_guard lk(ring_mutex_);
        // Not when the driver reset the device meanwhile: its new rings are no place for this.
        if (!reset_requested()) {
            queues_[q].push(elem, written);
            notify_used(1u << q);
        }
        resume_waiting_reset();
    }
    dec_in_flight();  // the last touch: once nothing is in flight a drainer may free the device
}

void VirtioDevice::complete_batched(unsigned q, VirtQueueElement elem, uint32_t written, std::function<void()> fill)
{
    bool schedule = false;
    {
        std::lock_guard lk(finished_mutex_);
        finished_.push_back({q, std::move(elem), written, std::move(fill)});
        schedule = !std::exchange(batch_scheduled_, true);
    }
    // In flight until the batch ran, so a drain (and thus a context move) waits for it: the
    // context read here is the one the batch runs in.
    if (schedule) aio_context().schedule_oneshot([this] { return_batch(); });
}

void VirtioDevice::return_batch()
{
    // Completions that arrive while this waits for the BQL are queued behind it in this context
    // and form the next batch; the BQL is taken first so that the batch taken is the latest.
    RingSideBql bql(*this);
    std::vector<Finished> batch;
    {
        std::lock_guard lk(finished_mutex_);
        batch.swap(finished_);
        batch_scheduled_ = false;
    }
    if (batch.empty()) return;
    {
        std::lock_guard lk(ring_mutex_);
        uint32_t pushed = 0;  // bit q: queue q got used elements
        const bool reset = reset_requested();  // not into the rings of the driver's next initialisation
        for (Finished& f : batch) {
            if (f.fill) f.fill();
            if (reset) continue;
            queues_[f.queue].push(f.elem, f.written);
            pushed |= 1u << f.queue;
        }
        notify_used(pushed);
        resume_waiting_reset(batch.size());
    }
    const size_t n = batch.size();
    batch.clear();
    for (size_t i = 0; i < n; ++i) dec_in_flight();  // the last touches (see complete())
}

void VirtioDevice::notify_used(uint32_t queues)
{
    for (unsigned q = 0; q < queues_.size(); ++q)
        if ((queues >> q & 1) && queues_[q].should_notify())
            if (VirtioTransport* t = transport_.load()) t->raise_interrupt(kIsrUsedBuffer);
}

void VirtioDevice::fail_request(unsigned q, const char* what)
{
    {
        RingSideBql bql(*this);
        std::lock_guard lk(ring_mutex_);
        mark_broken(what, q);
        resume_waiting_reset();
    }
    dec_in_flight();  // the last touch (see complete())
}

void VirtioDevice::resume_waiting_reset(uint64_t ending)
{
    // Called by the `ending` requests about to end (still counted in flight). The handler runs
    // after them in this context (home thread, or under the context lock), so it sees the count at
    // zero.
    if (reset_waiting_ && in_flight() == ending) {
        reset_waiting_ = false;
        host_notifier_.set();
    }
}

void VirtioDevice::mark_broken(const char* what, unsigned q)
{
    std::lock_guard lk(ring_mutex_);
    if (broken_) return;
    broken_ = true;
    // Not when the driver reset the device meanwhile: NEEDS_RESET would land in the status of the
    // driver's next initialisation. The pending reset clears broken_.
    if (reset_requested()) return;
    if (VirtioTransport* t = transport_.load()) t->device_broken(what, q);
}

// ---- lifetime and drained sections (control side: main loop, or before the loop runs) ----

void VirtioDevice::attach_notifier(AioContext& ctx)
{
    if (notifier_attached_.exchange(true)) return;
    ctx.set_event_notifier(host_notifier_, [this] { run_ring_side(); });
    // Pick up whatever was queued while detached: every queue counts as notified (as QEMU's
    // dataplane start notifies every queue), so nothing left in a ring waits for a kick the driver
    // never sends (a handler that stopped early consumed its queue's). Bits past the last queue
    // are ignored.
    kicked_.fetch_or(~0u);
    host_notifier_.set();
}

void VirtioDevice::detach_notifier(AioContext& ctx)
{
    if (notifier_attached_.exchange(false)) ctx.set_event_notifier(host_notifier_, {});
}

void VirtioDevice::do_realize() { attach_notifier(aio_context()); }

void VirtioDevice::do_unrealize() { detach_notifier(aio_context()); }

void VirtioDevice::on_drained_begin()
{
    detach_notifier(aio_context());
    std::lock_guard wait_for_running_handler(ring_mutex_);
}

void VirtioDevice::on_drained_end()
{
    if (realized()) attach_notifier(aio_context());
}

}  // namespace locklab
