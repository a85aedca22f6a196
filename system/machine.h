// Machine: the `virt` board, its harts and the threads that run them.
//
// Threads (DESIGN.md "Threads"): in Multi mode every hart has a vCPU thread and the main thread runs
// the main AioContext (timers, UART input) until the guest asks for shutdown; in Single mode the main
// thread alternates between harts (fixed slices) and non-blocking main-loop polls, with the Virtual
// clock advanced by retired instructions, so runs are deterministic.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "cpu/hart.h"
#include "devices/lockdep_demo.h"
#include "devices/virt_board.h"
#include "loop/aio_context.h"
#include "loop/iothread.h"
#include "memory/address_space.h"
#include "system/hotplug.h"
#include "system/hotplug_script.h"
#include "system/drives.h"
#include "system/machine_config.h"
#include "system/vcpu_flush.h"
#include "system/virtio_blk_plug.h"

namespace locklab {

class Machine {
public:
    explicit Machine(MachineConfig cfg);  // throws LoadError / std::runtime_error on bad config
    ~Machine();

    // Runs the guest until it shuts down; returns the process exit status.
    int run();

    // Moves the virtio-blk device using drive `drive`, and the drive, to IOThread `iothread`'s
    // AioContext ("" or "main": the main loop) through a drained section, losing no request. Main
    // loop thread (the machine's). Throws HotplugError (a std::runtime_error), changing nothing,
    // for an unknown drive or iothread, a drive that serves no plugged device (never plugged, or
    // hot-unplugged), a device whose eject was requested, while a surprise removal is under way,
    // and for a move started inside another's drain. If the device is hot-unplugged while the move
    // waits for its requests (a removal completing in the main loop meanwhile), the move throws
    // too, with the device intact until its last reference and the drive free in the main loop.
    void move_drive(const std::string& drive, const std::string& iothread);
    HotplugManager& hotplug() { return *hotplug_; }

private:
    void install_lock_models();  // --lock-impl, --lock-model, --device-lock
    void warn_unmatched_device_locks() const;
    void load_and_reset();
    void run_multi();
    void run_single();
    void vcpu_loop(rv::Hart& h);
    void on_shutdown(const ShutdownRequest& r);
    void create_iothreads();  // -object iothread
    void install_hotplug();
    void install_tracing();
    void print_stats(double wall_seconds) const;

    MachineConfig cfg_;
    AddressSpace as_{"system"};
    // The process's main loop (loop/main_loop.h), whose home thread is the machine's: drained
    // sections of devices in IOThreads wait by polling it.
    AioContext& main_ctx_;
    // -object iothread: declared (so destroyed) before everything placed in them, joined in
    // ~Machine after every device and drive is gone.
    IOThreadRegistry iothreads_;
    std::unique_ptr<DriveRegistry> drives_;  // -drive; main thread
    std::vector<std::unique_ptr<rv::Hart>> harts_;
    std::unique_ptr<HartReaderKick> hart_kick_;  // grace periods kick the harts out of run()
    std::unique_ptr<VirtBoard> board_;
    std::unique_ptr<VirtioBlkPlug> virtio_plug_;            // main thread
    std::unique_ptr<HotplugManager> hotplug_;               // main thread (main_ctx_'s home)
    std::unique_ptr<HotplugScriptPlayer> hotplug_script_;   // main thread; --hotplug-script only
    std::unique_ptr<LockdepDemoPlug> lockdep_demo_;  // --lockdep-demo only
    uint64_t fdt_addr_ = 0;
    bool moving_drive_ = false;  // main thread: a move_drive is draining (refuses a nested one)

    std::atomic<bool> stop_{false};      // atomic: set by the finisher (vCPU thread), read everywhere
    std::atomic<bool> reset_{false};     // atomic: a reset rather than a shutdown was requested
    std::atomic<int> exit_code_{0};      // atomic: written with stop_ (release), read after it
    std::atomic<int64_t> virtual_ns_{0}; // atomic: Single mode's Virtual clock (main thread writes)
    std::mutex log_mutex_;               // serialises trace lines from several vCPU threads
    FILE* log_ = stderr;                 // -D file or stderr; set before threads start
    FILE* perfmap_ = nullptr;            // -perfmap: /tmp/perf-<pid>.map; set before threads start
};

}  // namespace locklab
