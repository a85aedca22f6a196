// Everything the command line decides about a machine.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "block/aio_mode.h"
#include "locking/lock_impl_handoff.h"
#include "locking/lock_instrumentation.h"
#include "locking/lock_wait_policy.h"
#include "loop/thread_scheduling.h"

namespace locklab {

// -drive file=PATH,if=none|virtio,format=raw|qcow2,id=ID[,readonly=on|off][,cache=writeback]
// [,aio=threads|nowait]: an image opened at start-up (system/drives.h) under its id, for a
// virtio-blk-device to use.
struct DriveConfig {
    std::string id;
    std::string file;
    std::string format;      // "raw", "qcow2", or empty: probed at open (QEMU warns the same way)
    bool read_only = false;
    AioMode aio = AioMode::Nowait;  // block/aio_mode.h
};

enum class Accel {
    Interp,  // the block-cached interpreter (cpu/interpreter.cpp)
    Jit,     // the TCG-style JIT (cpu/tcg/jit.h)
};
// The engine when none is asked for: the JIT, except in builds configured with
// LOCKLAB_DEFAULT_ACCEL=interp (the tsan preset: TSan cannot see accesses made by generated code).
#ifdef LOCKLAB_DEFAULT_ACCEL_INTERP
inline constexpr Accel kDefaultAccel = Accel::Interp;
#else
inline constexpr Accel kDefaultAccel = Accel::Jit;
#endif
constexpr std::string_view accel_name(Accel a) { return a == Accel::Jit ? "jit" : "interp"; }

enum class ThreadMode {
    Multi,   // one host thread per hart (MTTCG-like); the main thread runs the main loop
    Single,  // all harts round-robin on the main thread, virtual time counted in instructions:
             // the same guest gives the same output every run
};

struct MachineConfig {
    std::string kernel;          // guest image path (optional with a firmware)
    bool raw_image = false;      // load a non-ELF file as a raw binary at the start of RAM
    // -bios FILE (empty: none, the image is entered directly). As QEMU's virt: the firmware (ELF, or
    // a raw binary at the start of RAM) is entered in M-mode with a0 = hart id, a1 = device tree; a
    // kernel (ELF, or raw at the next 2 MiB boundary after the firmware: 0x80200000 for OpenSBI's
    // fw_jump) is only loaded, for the firmware to jump to.
    std::string bios;
    uint64_t ram_size = 128ull << 20;
    unsigned smp = 1;
    ThreadMode threads = ThreadMode::Multi;
    Accel accel = kDefaultAccel; // --accel interp|jit (QEMU's -accel tcg means jit)
    bool jit_ram_window = true;  // --jit-ram-window on|off (cpu/tcg/ram_window.h)
    uint64_t slice = 10000;      // instructions per hart per turn (single mode) / per run() call
    std::string serial_out;      // empty: stdout
    int serial_in_fd = 0;        // -1: no serial input
    std::string bootargs;
    bool trace_in_asm = false;   // -d in_asm: each decoded block, disassembled
    bool trace_exec = false;     // -d exec: each executed instruction
    bool trace_out_asm = false;  // -d out_asm: host code of each block the JIT translates
    bool trace_tb_stats = false; // -d tb_stats: one line per block the JIT translates
    bool perfmap = false;        // -perfmap: JIT blocks in /tmp/perf-<pid>.map for Linux perf
    std::string log_file;        // -D: where traces go (default stderr)
    bool stats = false;          // --stats: per-hart instruction counts and wall time at exit
    int vcpu_nice = 0;           // --vcpu-nice: vCPU threads this many nice levels below the process (loop/thread_scheduling.h)
    std::string lock_model = "global";
    std::string lock_impl = "mutex";  // --lock-impl: what device locks and the BQL are (locking/lock_impl.h)
    // --lock-handoff-us: the handoff lock's bound (locking/lock_impl_handoff.h)
    unsigned lock_handoff_us = unsigned(kDefaultLockHandoffBound.count());
    // --event-loop-spin-us: how long event-loop threads spin for a contended lock before they
    // sleep (locking/lock_wait_policy.h; 0: at once, as QEMU)
    unsigned event_loop_spin_us = unsigned(kDefaultEventLoopSpin.count());
    // --thread-slice-us: the scheduler slice every thread asks for (loop/thread_scheduling.h;
    // 0: the kernel's default, as QEMU)
    unsigned thread_slice_us = unsigned(kDefaultThreadSlice.count());
    // --device-lock TYPE=MODEL, in command-line order: devices matching TYPE follow MODEL
    std::vector<std::pair<std::string, std::string>> device_locks;
    std::string lifetime = "ref-per-access";
    std::vector<std::string> devices;  // -device: cold-plugged before the guest runs (system/hotplug.h);
                                       // if=virtio drives add "virtio-blk-device,drive=ID" after them
    std::vector<std::string> iothreads;  // -object iothread,id=ID: created at start-up, in this order
    std::vector<DriveConfig> drives;     // -drive, in command-line order
    bool virtio_force_legacy = true;     // -global virtio-mmio.force-legacy=true|false (QEMU: legacy)
    bool virtio_ioeventfd = false;       // -global virtio-mmio.ioeventfd=on|off (devices/virtio_mmio.h)
    std::string hotplug_script;  // --hotplug-script FILE (system/hotplug_script.h)
    bool no_reboot = false;      // a guest reset request ends the run instead of restarting
    LockInstrumentationOptions lock_instrumentation;  // --lock-stats[-json], --lockdep, --trace
    bool lockdep_demo = false;   // --lockdep-demo: map devices/lockdep_demo.h's device
};

}  // namespace locklab
