#include "system/cli.h"

#include <algorithm>
#include <map>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "locking/lock_impl.h"
#include "locking/lock_model.h"
#include "system/hotplug.h"
#include "system/virtio_blk_options.h"

namespace locklab {

uint64_t parse_size(const std::string& s)
{
    if (s.empty()) throw UsageError("empty size");
    size_t pos = 0;
    unsigned long long n;
    try {
        n = std::stoull(s, &pos, 0);
    } catch (const std::exception&) {
        throw UsageError(fmt::format("'{}' is not a size (examples: 128M, 1G)", s));
    }
    std::string unit = s.substr(pos);
    std::transform(unit.begin(), unit.end(), unit.begin(), ::toupper);
    static const std::map<std::string, unsigned> shifts = {
        {"", 20}, {"B", 0}, {"K", 10}, {"KB", 10}, {"KIB", 10}, {"M", 20}, {"MB", 20}, {"MIB", 20},
        {"G", 30}, {"GB", 30}, {"GIB", 30}};
    auto it = shifts.find(unit);
    if (it == shifts.end()) throw UsageError(fmt::format("'{}': unknown size unit '{}'", s, unit));
    if (n > (~0ull >> it->second)) throw UsageError(fmt::format("'{}': too large", s));
    return n << it->second;
}

namespace {

// QEMU options locklab understands, spelled with one dash in QEMU.
const std::map<std::string, std::string> kQemuOptions = {
    {"-machine", "--machine"}, {"-M", "--machine"}, {"-kernel", "--kernel"}, {"-bios", "--bios"},
    {"-smp", "--smp"},         {"-nographic", "--nographic"}, {"-serial", "--serial"},
    {"-cpu", "--cpu"},         {"-append", "--append"}, {"-object", "--object"},
    {"-display", "--display"}, {"-no-reboot", "--no-reboot"}, {"-device", "--device"},
    {"-drive", "--drive"},     {"-global", "--global"},
    {"-accel", "--accel"},     {"-perfmap", "--perfmap"},
};
// QEMU options that exist but are not implemented (yet): a clear error instead of silence.
const char* const kQemuUnsupported[] = {
    "-netdev", "-nic", "-monitor", "-qmp", "-S", "-s", "-gdb", "-icount",
    "-enable-kvm", "-initrd", "-dtb", "-chardev", "-fsdev", "-blockdev",
    "-rtc", "-action", "-incoming", "-loadvm", "-snapshot", "-hda", "-cdrom", "-vga", "-audiodev",
    "-usb", "-numa", "-trace", "-plugin", "-semihosting", "-semihosting-config", "-overcommit",
    "-mem-prealloc", "-boot", "-name", "-uuid", "-pidfile", "-daemonize",
};

}  // namespace

std::vector<std::string> translate_qemu_args(const std::vector<std::string>& args)
{
    std::vector<std::string> out;
    for (const auto& a : args) {
        if (auto it = kQemuOptions.find(a); it != kQemuOptions.end()) {
            out.push_back(it->second);
            continue;
        }
        if (std::find(std::begin(kQemuUnsupported), std::end(kQemuUnsupported), a) != std::end(kQemuUnsupported))
            throw UsageError(fmt::format("QEMU option '{}' is not supported by locklab (see locklab run --help)", a));
        out.push_back(a);
    }
    return out;
}

namespace {

void check_machine(const std::string& m)
{
    std::string name = m.substr(0, m.find(','));
    if (name != "virt") throw UsageError(fmt::format("-machine {}: only 'virt' is emulated", m));
    if (name.size() != m.size())
        throw UsageError(fmt::format("-machine {}: machine properties are not supported", m));
}

// -device TYPE[,...]: TYPE must be one the hot-plug manager can plug (its properties are checked when
// the machine adds the device).
void check_pluggable(const std::string& spec)
{
    const std::string type = spec.substr(0, spec.find_first_of(", "));
    const auto types = HotplugManager::device_types();
    if (std::find(types.begin(), types.end(), type) == types.end())
        throw UsageError(fmt::format("-device {}: only {} can be added so far", spec, fmt::join(types, ", ")));
}

// -object iothread,id=ID (QEMU's spelling); the IOThread is created by the machine.
void add_object(const std::string& text, MachineConfig& cfg)
{
    DeviceSpec o = parse_device_spec(text);
    if (o.type != "iothread")
        throw UsageError(fmt::format("-object {}: only iothread objects are supported", text));
    const std::string id = o.take("id");
    if (id.empty()) throw UsageError(fmt::format("-object {}: no id= (e.g. -object iothread,id=io0)", text));
    if (!qemu_id_wellformed(id))
        throw UsageError(fmt::format("-object {}: id '{}' is not well formed (a letter, then letters, digits, "
                                     "'-', '.', '_')", text, id));
    if (!o.props.empty())
        throw UsageError(fmt::format("-object {}: iothread property '{}' is not supported (only id)", text,
                                     o.props.begin()->first));
    if (std::find(cfg.iothreads.begin(), cfg.iothreads.end(), id) != cfg.iothreads.end())
        throw UsageError(fmt::format("-object {}: iothread id '{}' is given twice", text, id));
    cfg.iothreads.push_back(id);
}

bool parse_on_off(const std::string& option, const std::string& key, const std::string& v)
{
    if (v == "on" || v == "true" || v == "yes") return true;
    if (v == "off" || v == "false" || v == "no") return false;
    throw UsageError(fmt::format("{}: {}={}: expected on or off", option, key, v));
}

// -drive: the image is opened by the machine (system/drives.h); if=virtio also adds a
// virtio-blk-device for it, after the -device ones (as QEMU appends the devices it makes for drives).
void add_drive(const std::string& text, MachineConfig& cfg, std::map<std::string, unsigned>& if_index,
               std::vector<std::string>& virtio_devices)
{
    const std::string option = fmt::format("-drive {}", text);
    DeviceSpec o = parse_option_list("-drive", text);
    const std::string iface = o.take("if", "none");
    if (iface != "none" && iface != "virtio")
        throw UsageError(fmt::format("{}: if={} is not supported (if=none, for -device virtio-blk-device,drive=ID, "
                                     "or if=virtio)", option, iface));
    DriveConfig d;
    d.id = o.take("id", fmt::format("{}{}", iface, if_index[iface]));  // QEMU names them none0, virtio1, ...
    ++if_index[iface];
    if (!qemu_id_wellformed(d.id))
        throw UsageError(fmt::format("{}: id '{}' is not well formed (a letter, then letters, digits, '-', '.', "
                                     "'_')", option, d.id));
    for (const auto& other : cfg.drives)
        if (other.id == d.id) throw UsageError(fmt::format("{}: drive id '{}' is given twice", option, d.id));
    d.file = o.take("file");
    if (d.file.empty()) throw UsageError(fmt::format("-drive: no file= for id={}", d.id));
    d.format = o.take("format");
    if (!d.format.empty() && d.format != "raw" && d.format != "qcow2")
        throw UsageError(fmt::format("{}: format={} is not supported (raw, qcow2)", option, d.format));
    d.read_only = parse_on_off(option, "readonly", o.take("readonly", "off"));
    if (const std::string cache = o.take("cache", "writeback"); cache != "writeback")
        throw UsageError(fmt::format("{}: cache={} is not supported (only writeback: completed writes reach the "
                                     "image file, a guest flush makes them durable)", option, cache));
    if (const std::string media = o.take("media", "disk"); media != "disk")
        throw UsageError(fmt::format("{}: media={} is not supported (only disk)", option, media));
    const std::string aio = o.take("aio", aio_mode_name(AioMode::Nowait));
    if (const auto mode = parse_aio_mode(aio))
        d.aio = *mode;
    else
        throw UsageError(fmt::format("{}: aio={} is not supported (threads: every read and write on the worker "
                                     "threads, as QEMU's aio=threads; nowait, the default: tried first without "
                                     "blocking in the device's event loop, the workers otherwise)", option, aio));
    if (!o.props.empty())
        throw UsageError(fmt::format("{}: property '{}' is not supported (file, if, format, id, readonly, cache, "
                                     "media, aio)", option, o.props.begin()->first));
    if (iface == "virtio") virtio_devices.push_back(fmt::format("{},drive={}", kVirtioBlkType, d.id));
    cfg.drives.push_back(std::move(d));
}

// -global DRIVER.PROPERTY=VALUE: virtio-mmio.force-legacy and virtio-mmio.ioeventfd.
void apply_global(const std::string& text, MachineConfig& cfg)
{
    const size_t eq = text.find('=');
    const std::string key = text.substr(0, eq);
    bool* target = key == "virtio-mmio.force-legacy" ? &cfg.virtio_force_legacy
                   : key == "virtio-mmio.ioeventfd"  ? &cfg.virtio_ioeventfd
                                                     : nullptr;
    if (!target)
        throw UsageError(fmt::format("-global {}: only virtio-mmio.force-legacy and virtio-mmio.ioeventfd "
                                     "(=true|false) are supported", text));
    if (eq == std::string::npos) throw UsageError(fmt::format("-global {}: expected {}=true|false", text, key));
    *target = parse_on_off("-global " + text, key, text.substr(eq + 1));
}

// A virtio-blk-device refers to a -drive and maybe an -object iothread given on the command line,
// and a drive serves one device.
void check_virtio_blk_refs(const MachineConfig& cfg)
{
    std::vector<std::string> used;
    for (const auto& text : cfg.devices) {
        DeviceSpec spec = parse_device_spec(text);
        if (spec.type != kVirtioBlkType) continue;
        VirtioBlkOptions o;
        try {
            o = take_virtio_blk_options(spec);
        } catch (const DeviceSpecError& e) {
            throw UsageError(fmt::format("-device {}: {}", text, e.what()));
        }
        auto drive_known = [&](const DriveConfig& d) { return d.id == o.drive; };
        if (std::none_of(cfg.drives.begin(), cfg.drives.end(), drive_known))
            throw UsageError(fmt::format("-device {}: no -drive with id={}", text, o.drive));
        if (std::find(used.begin(), used.end(), o.drive) != used.end())
            throw UsageError(fmt::format("-device {}: drive '{}' is already in use by another device", text, o.drive));
        used.push_back(o.drive);
        if (!o.iothread.empty() && std::find(cfg.iothreads.begin(), cfg.iothreads.end(), o.iothread) == cfg.iothreads.end())
            throw UsageError(fmt::format("-device {}: no -object iothread,id={}", text, o.iothread));
    }
}

unsigned parse_smp(const std::string& s)
{
    // QEMU accepts "4" or "cpus=4[,...]".
    std::string v = s;
    if (v.rfind("cpus=", 0) == 0) v = v.substr(5);
    if (auto c = v.find(','); c != std::string::npos) {
        throw UsageError(fmt::format("-smp {}: only a CPU count is supported (e.g. -smp 4)", s));
    }
    try {
        size_t pos;
        unsigned long n = std::stoul(v, &pos);
        if (pos != v.size() || n == 0 || n > 64) throw std::out_of_range("smp");
        return unsigned(n);
    } catch (const std::exception&) {
        throw UsageError(fmt::format("-smp {}: expected a hart count from 1 to 64", s));
    }
}

void apply_debug_flags(const std::string& flags, MachineConfig& cfg)
{
    size_t start = 0;
    while (start <= flags.size()) {
        size_t end = flags.find(',', start);
        std::string f = flags.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (f == "in_asm") cfg.trace_in_asm = true;
        else if (f == "exec") cfg.trace_exec = true;
        else if (f == "out_asm") cfg.trace_out_asm = true;
        else if (f == "tb_stats") cfg.trace_tb_stats = true;
        else throw UsageError(fmt::format("-d {}: unknown log item '{}' (available: in_asm, exec, out_asm, tb_stats)", flags, f));
        if (end == std::string::npos) break;
        start = end + 1;
    }
}

}  // namespace

CliResult parse_command_line(const std::vector<std::string>& raw_args)
{
    CLI::App app{"locklab: a RISC-V RV64 system emulator for comparing device lock models.\n"
                 "It emulates QEMU's `virt` board (same memory map and devices), so bare-metal\n"
                 "guests built for `qemu-system-riscv64 -M virt -bios none` run unchanged.",
                 "locklab"};
    app.require_subcommand(0, 1);
    app.footer("Examples:\n"
               "  locklab run --smp 4 guest.elf\n"
               "  locklab -machine virt -nographic -bios none -smp 4 -m 128M -kernel guest.elf\n"
               "Run `locklab run --help` for every option. Exit status: the guest's test-finisher code.");

    MachineConfig cfg;
    std::string machine = "virt", bios = "none", cpu = "rv64", debug, smp = "1", mem = "128M", threads = "multi",
                serial = "stdio", display = "none";
    std::string positional_kernel;
    std::string accel{accel_name(kDefaultAccel)};  // --accel
    std::vector<std::string> objects, drives, globals, device_locks;
    bool nographic = false;
    std::string lockdep;

    auto add_machine_options = [&](CLI::App* a) {
        a->add_option("--kernel", cfg.kernel, "Guest image (ELF64 RISC-V; raw binaries need --raw)");
        a->add_option("--smp", smp, "Number of harts (1-64), or cpus=N")->capture_default_str();
        a->add_option("-m,--memory", mem, "RAM size, e.g. 128M, 2G (plain numbers are MiB)")->capture_default_str();
        a->add_option("--machine", machine, "Board; only 'virt'")->capture_default_str();
        a->add_option("--bios", bios,
                      "Firmware entered in M-mode (ELF, or raw at 0x80000000: e.g. OpenSBI's fw_jump); "
                      "-kernel is then loaded at the next 2 MiB boundary for it. 'none': the image is "
                      "entered directly")
            ->capture_default_str();
        a->add_option("--cpu", cpu, "CPU model; only 'rv64' (RV64IMAC + Zicsr + Zifencei, M/S/U, Sv39)");
        a->add_flag("--perfmap", cfg.perfmap,
                    "JIT: write /tmp/perf-<pid>.map (each translated block's host code, named tb_<guest pc>) "
                    "so that `perf record`/`perf report` attribute samples to guest blocks (QEMU 8.1's -perfmap)");
        a->add_flag("--nographic", nographic, "Accepted for QEMU compatibility (locklab has no display)");
        a->add_option("--display", display, "Accepted for QEMU compatibility; only 'none'");
        a->add_option("--serial", serial, "UART: 'stdio' (default), 'mon:stdio', 'file:PATH' or 'none'");
        a->add_option("--serial-out", cfg.serial_out, "Write UART output to this file instead of stdout");
        a->add_option("--append", cfg.bootargs, "Kernel command line (/chosen/bootargs in the device tree)");
        a->add_flag("--raw", cfg.raw_image, "Load a non-ELF image as a raw binary at 0x80000000");
        a->add_option("--threads", threads,
                      "'multi': one host thread per hart (default); 'single': all harts round-robin on one "
                      "thread with instruction-counted time, deterministic")
            ->capture_default_str();
        a->add_option("--accel", accel, fmt::format("Execution engine: 'jit' ('tcg' = jit, as in QEMU) or 'interp' (the "
                                  "reference interpreter); default for this build: '{}'", accel_name(kDefaultAccel)))
            ->capture_default_str();
        a->add_option("--jit-ram-window", cfg.jit_ram_window,
                      "JIT: M-mode loads from RAM skip the TLB (a bounds compare); 'off': every access "
                      "takes the TLB path, as in QEMU")
            ->capture_default_str();
        a->add_option("--slice", cfg.slice, "Instructions per hart turn")->capture_default_str();
        a->add_option("--vcpu-nice", cfg.vcpu_nice,
                      "Run each vCPU thread this many nice levels below the process, so that event-loop threads "
                      "(main loop, IOThreads, block workers) win the CPU when cores are short (0: as QEMU)")
            ->capture_default_str()
            ->check(CLI::Range(0, 19));
        a->add_option("--lock-model", cfg.lock_model, "MMIO lock model: " + fmt::format("{}", fmt::join(lock_model_names(), ", ")))
            ->capture_default_str();
        a->add_option("--lock-impl", cfg.lock_impl,
                      "What device locks and the BQL are built on: " + fmt::format("{}", fmt::join(lock_impl_names(), ", ")))
            ->capture_default_str();
        a->add_option("--lock-handoff-us", cfg.lock_handoff_us,
                      "--lock-impl handoff: a waiter that has waited this long (microseconds) gets the lock "
                      "handed to it at the next unlock instead of competing with threads that barge in")
            ->capture_default_str()
            ->check(CLI::Range(0u, 10'000'000u));
        a->add_option("--event-loop-spin-us", cfg.event_loop_spin_us,
                      "How long (microseconds) the main loop and IOThreads spin for a contended lock, e.g. the "
                      "BQL that vCPUs take for each MMIO access, before they sleep on it (0: at once, as QEMU)")
            ->capture_default_str()
            ->check(CLI::Range(0u, 1'000'000u));
        a->add_option("--thread-slice-us", cfg.thread_slice_us,
                      "The scheduler slice (microseconds) every locklab thread asks for, so that a waking "
                      "thread (an event loop, a worker, a vCPU woken by an interrupt) preempts a busy vCPU "
                      "on Linux 6.12+ when cores are short (0: the kernel's default, as QEMU)")
            ->capture_default_str()
            ->check(CLI::Range(0u, 100'000u));
        a->add_option("--device-lock", device_locks,
                      "TYPE=MODEL: devices of TYPE (a device type, or one word of it: clint, plic, serial, rtc, "
                      "test) follow lock model MODEL instead of --lock-model; repeatable")
            ->allow_extra_args(false);
        a->add_option("--lifetime", cfg.lifetime, "Device lifetime policy: ref-per-access, snapshot-ref")
            ->capture_default_str();
        a->add_option("-d", debug, "Trace items, comma separated: in_asm (decoded blocks), exec (every instruction), "
                      "out_asm (JIT host code), tb_stats (one line per JIT block)");
        a->add_option("-D", cfg.log_file, "Write traces to this file instead of stderr");
        a->add_flag("--stats", cfg.stats, "At exit print per-hart retired instructions, wall time and per-drive counts of the aio=nowait fast path (JSON, stderr)");
        a->add_option("--object", objects, "iothread,id=ID: an IOThread devices can be placed in (QEMU -object)")
            ->allow_extra_args(false);
        a->add_option("--drive", drives,
                      "file=IMG,if=none|virtio,format=raw|qcow2,id=ID[,readonly=on|off][,cache=writeback]"
                      "[,aio=nowait|threads]: a disk image for a virtio-blk-device (if=virtio adds one in the next "
                      "free slot). aio=nowait (default): reads and writes are first tried in the device's event loop "
                      "with non-blocking host I/O (RWF_NOWAIT: page-cache hits), then on worker threads; "
                      "aio=threads: always on worker threads, as QEMU's aio=threads")
            ->allow_extra_args(false);
        a->add_option("--global", globals, "virtio-mmio.force-legacy=true|false: virtio-mmio register layout "
                                           "version 1 (legacy, QEMU's default) or 2 (modern); "
                                           "virtio-mmio.ioeventfd=true|false: QueueNotify only signals the device's "
                                           "event loop, or (false, the default, as QEMU under TCG) a device in the "
                                           "main loop handles it on the vCPU")
            ->allow_extra_args(false);
        a->add_option("--device", cfg.devices,
                      "Add a device before the guest starts: mmio-scratch[,id=ID][,cost=NS][,slot=N] (into a "
                      "research slot of the hot-plug controller) or virtio-blk-device,drive=ID[,bus=virtio-mmio-bus.N]"
                      "[,iothread=ID][,serial=S][,id=ID] (without bus=, the free virtio slot with the highest "
                      "address, as in QEMU)")
            ->allow_extra_args(false);  // one spec per -device: never the image that follows
        a->add_option("--hotplug-script", cfg.hotplug_script,
                      "Replay device adds and removes during the run: lines '<ms> add mmio-scratch id=s1 "
                      "cost=200' and '<ms> del s1 [surprise]' (system/hotplug_script.h)");
        a->add_flag("--no-reboot", cfg.no_reboot, "Exit instead of resetting when the guest requests a reset");
        auto& li = cfg.lock_instrumentation;
        a->add_flag("--lock-stats", li.lock_stats, "At exit print per-lock-class contention statistics (stderr)");
        a->add_option("--lock-stats-json", li.lock_stats_json, "At exit write per-lock-class statistics as JSON");
        a->add_option("--lock-stats-sample", li.hold_sample_period,
                      "Time the hold of 1 in N acquisitions per thread (counts and contended waits stay exact; "
                      "N > 1 roughly halves what statistics cost an uncontended lock)")
            ->check(CLI::Range(1u, 1u << 20));
        a->add_flag("--lockdep{warn}", lockdep,
                    "Lock-order validator: report lock order cycles and keep running (--lockdep, "
                    "--lockdep=warn) or abort (--lockdep=abort)");
        a->add_option("--trace", li.trace_file, "Write a Chrome/Perfetto trace of lock waits/holds and MMIO");
        a->add_flag("--lockdep-demo", cfg.lockdep_demo,
                    "Map the lockdep demo device (a lock order inversion for --lockdep to find) at 0x103000");
    };
    CLI::App* run = app.add_subcommand("run", "Run a guest image on the virt board");
    add_machine_options(run);
    run->add_option("image", positional_kernel, "Guest image (same as --kernel)");
    add_machine_options(&app);  // the QEMU spellings work without `run`

    std::vector<std::string> args;
    try {
        args = translate_qemu_args(raw_args);
    } catch (const UsageError& e) {
        fmt::print(stderr, "locklab: {}\n", e.what());
        return {std::nullopt, 2};
    }
    if (args.empty()) {
        fmt::print("{}", app.help());
        return {std::nullopt, 2};
    }
    std::reverse(args.begin(), args.end());  // CLI11 takes the vector in reverse order
    try {
        app.parse(args);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);  // prints the message (or the help, rc 0)
        return {std::nullopt, rc == 0 ? 0 : 2};  // every usage error exits 2, whatever CLI11 calls it
    }

    try {
        if (!positional_kernel.empty()) {
            if (!cfg.kernel.empty() && cfg.kernel != positional_kernel)
                throw UsageError("two images given (positional and --kernel)");
            cfg.kernel = positional_kernel;
        }
        if (bios == "default")
            throw UsageError("-bios default: locklab ships no firmware; give one (-bios fw_jump.elf) or "
                             "-bios none (the image is entered in M-mode with a0 = hart id, a1 = device tree)");
        if (bios != "none") cfg.bios = bios;
        if (cfg.kernel.empty() && cfg.bios.empty())
            throw UsageError("no guest image: give one, e.g. `locklab run guest.elf`");
        check_machine(machine);
        if (cpu != "rv64") throw UsageError(fmt::format("-cpu {}: only 'rv64' is emulated", cpu));
        if (display != "none") throw UsageError(fmt::format("-display {}: locklab has no display", display));
        for (const auto& o : objects)
            add_object(o, cfg);
        std::map<std::string, unsigned> if_index;
        std::vector<std::string> drive_devices;
        for (const auto& d : drives)
            add_drive(d, cfg, if_index, drive_devices);
        for (const auto& g : globals)
            apply_global(g, cfg);
        for (const auto& d : cfg.devices)
            check_pluggable(d);
        cfg.devices.insert(cfg.devices.end(), drive_devices.begin(), drive_devices.end());
        check_virtio_blk_refs(cfg);
        cfg.smp = parse_smp(smp);
        cfg.ram_size = parse_size(mem);
        if (threads == "multi") cfg.threads = ThreadMode::Multi;
        else if (threads == "single") cfg.threads = ThreadMode::Single;
        else throw UsageError(fmt::format("--threads {}: expected 'multi' or 'single'", threads));
        if (accel == "interp") cfg.accel = Accel::Interp;
        else if (accel == "jit" || accel == "tcg") cfg.accel = Accel::Jit;
        else throw UsageError(fmt::format("--accel {}: expected 'interp' or 'jit'", accel));
        if (cfg.slice == 0) throw UsageError("--slice must be at least 1");
        if (serial == "none") cfg.serial_in_fd = -1, cfg.serial_out = cfg.serial_out.empty() ? "/dev/null" : cfg.serial_out;
        else if (serial.rfind("file:", 0) == 0) cfg.serial_out = serial.substr(5), cfg.serial_in_fd = -1;
        else if (serial != "stdio" && serial != "mon:stdio")
            throw UsageError(fmt::format("-serial {}: supported are stdio, mon:stdio, file:PATH, none", serial));
        if (!debug.empty()) apply_debug_flags(debug, cfg);
        for (const auto& dl : device_locks) {
            const size_t eq = dl.find('=');
            if (eq == 0 || eq == std::string::npos || eq + 1 == dl.size())
                throw UsageError(fmt::format("--device-lock {}: expected TYPE=MODEL, e.g. clint=per-device", dl));
            cfg.device_locks.emplace_back(dl.substr(0, eq), dl.substr(eq + 1));
        }
        if (!lockdep.empty() && !parse_lockdep_mode(lockdep, cfg.lock_instrumentation.lockdep))
            throw UsageError(fmt::format("--lockdep={}: expected warn or abort", lockdep));
    } catch (const UsageError& e) {
        fmt::print(stderr, "locklab: {}\n", e.what());
        return {std::nullopt, 2};
    } catch (const DeviceSpecError& e) {  // a -drive, -object or -device that is not KEY=VALUE
        fmt::print(stderr, "locklab: {}\n", e.what());
        return {std::nullopt, 2};
    }
    return {cfg, 0};
}

}  // namespace locklab
