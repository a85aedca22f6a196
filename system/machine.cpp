#include "system/machine.h"

#include <pthread.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

#include <boost/thread/thread.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cpu/disasm.h"
#include "cpu/tcg/jit.h"
#include "devices/virt_memmap.h"
#include "locking/bql.h"
#include "locking/lock_instrumentation.h"
#include "locking/lock_impl.h"
#include "locking/lock_model.h"
#include "locking/lock_wait_policy.h"
#include "loop/main_loop.h"
#include "loop/thread_scheduling.h"
#include "memory/lifetime_policy.h"
#include "system/elf_loader.h"
#include "system/vcpu_flush.h"

namespace locklab {

namespace {
constexpr uint64_t kFdtAlign = 2ull << 20;  // QEMU: 2 MiB aligned, as high in RAM as it fits
constexpr uint64_t kKernelAlign = 2ull << 20;  // QEMU (RV64): a kernel after a firmware starts on a 2 MiB boundary
constexpr size_t kVcpuStackSize = 8ull << 20;
}  // namespace

Machine::Machine(MachineConfig cfg) : cfg_(std::move(cfg)), main_ctx_(main_context())
{
    set_thread_slice(std::chrono::microseconds(cfg_.thread_slice_us));  // before any thread asks for it
    main_ctx_.attach_current_thread();
    if (cfg_.smp == 0 || cfg_.smp > 64) throw std::runtime_error(fmt::format("-smp {}: must be 1..64", cfg_.smp));
    if (cfg_.ram_size < (1ull << 20) || cfg_.ram_size > (64ull << 30))
        throw std::runtime_error(fmt::format("-m: RAM size {:#x} must be between 1 MiB and 64 GiB", cfg_.ram_size));
    install_lock_models();
    LifetimePolicy lp;
    if (!parse_lifetime_policy(cfg_.lifetime, lp))
        throw std::runtime_error(
            fmt::format("--lifetime {}: unknown (available: ref-per-access, snapshot-ref)", cfg_.lifetime));
    set_lifetime_policy(lp);
    if (!cfg_.log_file.empty()) {
        log_ = std::fopen(cfg_.log_file.c_str(), "w");
        if (!log_) throw std::runtime_error(fmt::format("-D {}: cannot open for writing", cfg_.log_file));
    }
    if (cfg_.perfmap) {
        const std::string path = fmt::format("/tmp/perf-{}.map", getpid());
        perfmap_ = std::fopen(path.c_str(), "w");
        if (!perfmap_) throw std::runtime_error(fmt::format("-perfmap: cannot open {} for writing", path));
        std::setvbuf(perfmap_, nullptr, _IOLBF, 0);  // complete lines for perf even if we are killed
    }

    lock_instrumentation_start(cfg_.lock_instrumentation);
    create_iothreads();
    drives_ = std::make_unique<DriveRegistry>(cfg_.drives, main_ctx_);  // before any guest code runs

    if (cfg_.threads == ThreadMode::Single) set_virtual_clock([this] { return virtual_ns_.load(std::memory_order_relaxed); });

    for (unsigned i = 0; i < cfg_.smp; ++i) harts_.push_back(std::make_unique<rv::Hart>(i, as_));
    hart_kick_ = std::make_unique<HartReaderKick>(harts_);
    std::vector<IrqSink*> sinks;
    for (auto& h : harts_) sinks.push_back(h.get());

    VirtBoardConfig bc;
    bc.ram_size = cfg_.ram_size;
    bc.harts = cfg_.smp;
    bc.serial_out_path = cfg_.serial_out;
    bc.serial_in_fd = cfg_.serial_in_fd;
    bc.bootargs = cfg_.bootargs;
    bc.virtio_legacy = cfg_.virtio_force_legacy;
    bc.virtio_ioeventfd = cfg_.virtio_ioeventfd;
    board_ = std::make_unique<VirtBoard>(bc, as_, main_ctx_, sinks);
    board_->set_shutdown_handler([this](ShutdownRequest r) { on_shutdown(r); });
    if (cfg_.lockdep_demo) lockdep_demo_ = std::make_unique<LockdepDemoPlug>(as_, main_ctx_);
    for (auto& h : harts_) h->time_source = [this] { return board_->clint().mtime(); };
    install_hotplug();
    warn_unmatched_device_locks();
    install_tracing();
    load_and_reset();
}

void Machine::create_iothreads()
{
    for (const auto& id : cfg_.iothreads) {
        try {
            iothreads_.create(id);
        } catch (const std::exception& e) {
            throw std::runtime_error(fmt::format("-object iothread,id={}: {}", id, e.what()));
        }
    }
}

void Machine::install_hotplug()
{
    hotplug_ = std::make_unique<HotplugManager>(as_, main_ctx_, &board_->hotplug(), [this](std::function<void()> done) {
        flush_all_harts(harts_, std::move(done));
    });
    std::vector<VirtioMmio*> transports;
    for (unsigned i = 0; i < virt::kVirtioSlots; ++i) transports.push_back(&board_->virtio_slot(i));
    virtio_plug_ = std::make_unique<VirtioBlkPlug>(std::move(transports), *drives_, iothreads_, as_, main_ctx_);
    hotplug_->set_virtio_plug(virtio_plug_.get());
    for (const auto& d : cfg_.devices) {
        try {
            hotplug_->device_add(parse_device_spec(d), /*notify_guest=*/false);
        } catch (const std::exception& e) {
            throw std::runtime_error(fmt::format("-device {}: {}", d, e.what()));
        }
    }
    if (!cfg_.hotplug_script.empty())
        hotplug_script_ = std::make_unique<HotplugScriptPlayer>(load_hotplug_script(cfg_.hotplug_script), *hotplug_, main_ctx_);
}

Machine::~Machine()
{
    hotplug_script_.reset();
    hotplug_.reset();  // before the board: it takes its devices out of the controller's slots
    virtio_plug_.reset();
    board_.reset();
    drives_.reset();            // no device uses a drive any more
    iothreads_.destroy_all();   // nothing is placed in them any more
    if (log_ != stderr) std::fclose(log_);
    if (perfmap_) std::fclose(perfmap_);
}

void Machine::install_lock_models()
{
    // Before any device exists: a device's lock is made on the implementation current at its
    // construction, and its model override is resolved then.
    const auto impl = parse_lock_impl(cfg_.lock_impl);
    if (!impl)
        throw std::runtime_error(fmt::format("--lock-impl {}: unknown (available: {})", cfg_.lock_impl,
                                             fmt::join(lock_impl_names(), ", ")));
    set_lock_handoff_bound(std::chrono::microseconds(cfg_.lock_handoff_us));  // before the BQL is re-made
    set_lock_impl(*impl);
    set_event_loop_lock_spin(std::chrono::microseconds(cfg_.event_loop_spin_us));
    auto model = make_lock_model(cfg_.lock_model);
    if (!model)
        throw std::runtime_error(fmt::format("--lock-model {}: unknown (available: {})", cfg_.lock_model,
                                             fmt::join(lock_model_names(), ", ")));
    set_lock_model(std::move(model));
    clear_device_lock_models();
    for (const auto& [type, name] : cfg_.device_locks)
        if (!set_device_lock_model(type, name))
            throw std::runtime_error(fmt::format("--device-lock {}={}: unknown lock model (available: {})", type,
                                                 name, fmt::join(lock_model_names(), ", ")));
}

void Machine::warn_unmatched_device_locks() const
{
    for (const auto& [type, name] : cfg_.device_locks)
        if (device_lock_model_matches(type) == 0)
            fmt::print(stderr, "locklab: --device-lock {}={}: no device matches '{}' (a device type, or one word of it)\n",
                       type, name, type);
}

void Machine::load_and_reset()
{
    const uint64_t dram_end = virt::kDramBase + cfg_.ram_size;
    LoadedImage entered;  // what the harts start in: the firmware, or else the kernel
    uint64_t highest = 0;
    if (!cfg_.bios.empty()) {
        entered = load_image(cfg_.bios, as_, virt::kDramBase, cfg_.ram_size, true);
        highest = entered.highest;
        if (!cfg_.kernel.empty()) {
            // QEMU's riscv_calc_kernel_start_addr: a raw kernel goes to the first 2 MiB boundary
            // after the firmware (an ELF kernel to its own addresses, which must lie there too).
            const uint64_t kernel_base = (entered.highest + kKernelAlign - 1) & ~(kKernelAlign - 1);
            if (kernel_base >= dram_end)
                throw LoadError(fmt::format("{}: no room for the kernel after the firmware {} (it ends at {:#x})",
                                            cfg_.kernel, cfg_.bios, entered.highest));
            const LoadedImage k = load_image(cfg_.kernel, as_, kernel_base, dram_end - kernel_base, true);
            highest = std::max(highest, k.highest);
        }
    } else {
        entered = load_image(cfg_.kernel, as_, virt::kDramBase, cfg_.ram_size, cfg_.raw_image);
        highest = entered.highest;
    }
    std::vector<uint8_t> fdt = board_->build_fdt();
    fdt_addr_ = (dram_end - fdt.size()) & ~(kFdtAlign - 1);
    if (fdt_addr_ < highest)
        throw LoadError(fmt::format("{}: no room for the device tree above the image (image ends at {:#x}, "
                                    "RAM at {:#x}); try a larger -m",
                                    cfg_.kernel.empty() ? cfg_.bios : cfg_.kernel, highest, dram_end));
    as_.write_bytes(fdt_addr_, fdt.data(), fdt.size());
    for (auto& h : harts_) h->reset(entered.entry, fdt_addr_);
}

void Machine::move_drive(const std::string& drive, const std::string& iothread)
{
    auto refuse = [&](const std::string& why) {
        throw HotplugError(fmt::format("move_drive {} to {}: {}", drive, iothread.empty() ? "main" : iothread, why));
    };
    if (moving_drive_) refuse("another move is in progress");
    AioContext& to = virtio_plug_->context(iothread);  // throws for an unknown iothread
    if (!drives_->find(drive)) refuse(fmt::format("no drive '{}'", drive));
    const std::string user = drives_->user(drive);
    Device* const dev = user.empty() ? nullptr : hotplug_->find(user);
    if (!dev || !dev->realized()) refuse(fmt::format("drive '{}' serves no plugged device (never plugged, or unplugged)", drive));
    // Removals pending that the controller does not show as eject requests are surprise removals
    // under way; which device they remove only the manager knows, so every move waits for them.
    unsigned slot = virt::kVirtioSlots, ejects_requested = 0;
    for (unsigned s = 0; s < HotplugController::kSlots; ++s) {
        if (s < virt::kVirtioSlots && board_->virtio_slot(s).device() == dev) slot = s;
        ejects_requested += (board_->hotplug().slot_status(s) & HotplugController::kEjectRequest) != 0;
    }
    if (slot == virt::kVirtioSlots) refuse(fmt::format("device '{}' is not in a virtio slot any more", user));
    if (board_->hotplug().slot_status(slot) & HotplugController::kEjectRequest)
        refuse(fmt::format("device '{}' is being hot-unplugged", user));
    if (hotplug_->removals_pending() > ejects_requested) refuse("a surprise hot-unplug is under way; retry once it completed");

    // The drain inside the move polls the main loop, where a removal that starts meanwhile (a guest's
    // eject, a hot-plug script) can complete: the reference keeps the device alive until the move has
    // let go of it, and the check afterwards gives the drive, which the move may have carried along
    // after the unplug had freed it, back to the main loop.
    const Ref<Device> keep(dev);
    moving_drive_ = true;
    struct Done {
        bool& flag;
        ~Done() { flag = false; }
    } done{moving_drive_};
    virtio_plug_->move_drive(drive, to);
    if (!keep->realized()) {
        if (BlockBackend* b = drives_->find(drive); b && drives_->user(drive).empty()) {
            BqlUnlockGuard unlocked;
            b->move_to_context(main_ctx_);
        }
        refuse(fmt::format("device '{}' was hot-unplugged during the move; drive '{}' is free, in the main loop", user, drive));
    }
}

void Machine::on_shutdown(const ShutdownRequest& r)
{
    switch (r.kind) {
    case ShutdownRequest::Kind::Pass:
        exit_code_.store(r.code);
        break;
    case ShutdownRequest::Kind::Fail:
        // QEMU 7.2 exits with the code, so a failure with code 0 exits 0; we never report a guest's
        // failure as success.
        exit_code_.store(r.code ? r.code : 1);
        if (!r.code) fmt::print(stderr, "locklab: guest reported failure with code 0; exiting 1\n");
        break;
    case ShutdownRequest::Kind::Reset:
        reset_.store(true);
        break;
    }
    stop_.store(true, std::memory_order_release);
    for (auto& h : harts_) h->kick();
    main_ctx_.notify();
}

void Machine::install_tracing()
{
    if (cfg_.trace_in_asm) {
        for (auto& h : harts_)
            h->on_block_decoded = [this](const rv::Hart& hart, uint64_t pc, const rv::DecodedInsn* insns, size_t n) {
                std::lock_guard lk(log_mutex_);
                fmt::print(log_, "IN: hart {}\n", hart.hartid);
                for (size_t i = 0; i < n; ++i) {
                    fmt::print(log_, "{:#018x}:  {:08x}  {}\n", pc, insns[i].raw, rv::disassemble(insns[i], pc));
                    pc += insns[i].len;
                }
                fmt::print(log_, "\n");
            };
    }
    if (cfg_.accel == Accel::Jit) {
        for (auto& h : harts_) {
            rv::tcg::enable_jit(*h, {.ram_window = cfg_.jit_ram_window});
            rv::tcg::set_jit_trace(*h, {cfg_.trace_out_asm, cfg_.trace_tb_stats, log_, perfmap_});
        }
    }
    if (cfg_.trace_exec) {
        for (auto& h : harts_)
            h->on_insn_exec = [this](const rv::Hart& hart, const rv::DecodedInsn& d) {
                std::lock_guard lk(log_mutex_);
                fmt::print(log_, "hart {} {:#018x}: {}\n", hart.hartid, hart.pc, rv::disassemble(d, hart.pc));
            };
    }
}

void Machine::vcpu_loop(rv::Hart& h)
{
    pthread_setname_np(pthread_self(), fmt::format("vcpu{}", h.hartid).c_str());  // for lockdep and --trace
    apply_thread_slice();  // --thread-slice-us (loop/thread_scheduling.h), best effort
    if (cfg_.vcpu_nice) {
        try {
            lower_thread_priority(cfg_.vcpu_nice);
        } catch (const std::exception& e) {
            fmt::print(stderr, "locklab: vcpu{}: --vcpu-nice {} not applied: {}\n", h.hartid, cfg_.vcpu_nice, e.what());
        }
    }
    while (!stop_.load(std::memory_order_acquire)) {
        rv::RunExit e = h.run(cfg_.slice);
        if (e == rv::RunExit::Wfi) {
            h.wait_for_interrupt();
            h.wfi = false;
        }
    }
}

void Machine::run_multi()
{
    boost::thread::attributes attrs;
    attrs.set_stack_size(kVcpuStackSize);
    std::vector<boost::thread> threads;
    for (auto& h : harts_) {
        rv::Hart* hp = h.get();
        threads.emplace_back(attrs, [this, hp] { vcpu_loop(*hp); });
    }
    while (!stop_.load(std::memory_order_acquire)) main_ctx_.poll(true);
    for (auto& t : threads) t.join();
}

void Machine::run_single()
{
    // Virtual time: 1 ns per retired instruction; while every hart waits in WFI, time jumps ahead in
    // fixed steps so timers expire. Both depend only on the guest, so runs repeat exactly.
    constexpr int64_t kIdleStepNs = 10'000;
    while (!stop_.load(std::memory_order_acquire)) {
        bool all_idle = true;
        for (auto& h : harts_) {
            if (stop_.load(std::memory_order_acquire)) break;
            if (h->wfi) {
                h->process_queued_work();  // cross-vCPU work does not wait for the hart to wake
                if (!h->wfi_wakeup_pending()) continue;
                h->wfi = false;
            }
            uint64_t before = h->instret;
            h->run(cfg_.slice);
            virtual_ns_.fetch_add(int64_t(h->instret - before), std::memory_order_relaxed);
            all_idle = false;
        }
        if (all_idle) virtual_ns_.fetch_add(kIdleStepNs, std::memory_order_relaxed);
        while (main_ctx_.poll(false)) {
        }
    }
}

int Machine::run()
{
    auto t0 = std::chrono::steady_clock::now();
    if (hotplug_script_) hotplug_script_->start();
    for (;;) {
        if (cfg_.threads == ThreadMode::Single) run_single();
        else run_multi();
        if (!reset_.exchange(false) || cfg_.no_reboot) break;
        stop_.store(false);
        board_->reset();   // system reset: devices to their power-on state,
        load_and_reset();  // the image reloaded, harts back to the entry point
    }
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (cfg_.stats) print_stats(wall);
    const bool reports_written = lock_instrumentation_finish(cfg_.lock_instrumentation);
    std::fflush(stdout);
    return !reports_written && exit_code_.load() == 0 ? 1 : exit_code_.load();
}

void Machine::print_stats(double wall_seconds) const
{
    std::string harts;
    for (const auto& h : harts_) {
        std::string jit;  // what the JIT did for this hart (cpu/tcg/jit.h), when it ran it
        if (rv::tcg::jit_enabled(*h)) {
            const rv::tcg::JitStats j = rv::tcg::jit_stats(*h);
            jit = fmt::format(",\"jit\":{{\"blocks\":{},\"guest_insns\":{},\"host_bytes\":{},\"translate_ns\":{},"
                              "\"flushes\":{},\"chains\":{},\"remaps\":{},\"pinned\":[{}]}}",
                              j.blocks_translated, j.guest_insns_translated, j.host_bytes, j.translate_ns, j.flushes,
                              j.chains, j.remaps, fmt::join(rv::tcg::jit_pinned_registers(*h), ","));
        }
        harts += fmt::format("{}{{\"hart\":{},\"instret\":{}{}}}", harts.empty() ? "" : ",", h->hartid, h->instret,
                             jit);
    }
    std::string drives;  // how many reads and writes the inline fast path served (block/aio_mode.h)
    for (const std::string& id : drives_->ids()) {
        const BlockBackend& b = *drives_->find(id);
        drives += fmt::format("{}{{\"id\":\"{}\",\"aio\":\"{}\",\"nowait_completed\":{},\"nowait_fallbacks\":{}}}",
                              drives.empty() ? "" : ",", id, aio_mode_name(b.aio_mode()), b.nowait_completed(),
                              b.nowait_fallbacks());
    }
    fmt::print(stderr, "locklab-stats: {{\"harts\":[{}],\"drives\":[{}],\"wall_seconds\":{:.6f}}}\n", harts, drives,
               wall_seconds);
}

}  // namespace locklab
