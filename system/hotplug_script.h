// `--hotplug-script FILE`: a schedule of device_add / device_del replayed during a run with
// main-loop timers.
//
// Format: one action per line; '#' starts a comment; blank lines are ignored.
//   <ms> add <type>[,KEY=VALUE...]   e.g.  50 add mmio-scratch id=s1 cost=200
//                                    or    80 add virtio-blk-device id=vd drive=d0 (a -drive of the run)
//   <ms> del <id> [surprise]         e.g.  120 del s1
// <ms> is the time from the start of the run on the Virtual clock (instruction-counted under
// --threads single, so runs repeat exactly); actions may be listed in any order, equal times run in
// file order. Properties may be separated by spaces or commas (as in -device). `del` without
// `surprise` asks the guest to eject the device (the hot-plug controller's handshake).
//
// While playing, each action and each completed removal is reported on stderr, and errors (an id
// in use, no such device) are reported without stopping the run.
#pragma once

#include <cstdint>
#include <cstdio>
#include <istream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "loop/aio_context.h"
#include "system/device_spec.h"
#include "system/hotplug.h"

namespace locklab {

class HotplugScriptError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct HotplugAction {
    enum class Kind { Add, Del };
    int64_t at_ms = 0;
    Kind kind = Kind::Add;
    DeviceSpec device;   // Add
    std::string id;      // Del
    bool surprise = false;
    std::string where;   // "FILE:LINE", for messages
};

// Throws HotplugScriptError ("NAME:LINE: what is wrong") for the first bad line.
std::vector<HotplugAction> parse_hotplug_script(std::istream& in, const std::string& name);
// Reads FILE; also throws HotplugScriptError if it cannot be read.
std::vector<HotplugAction> load_hotplug_script(const std::string& path);

class HotplugScriptPlayer {
public:
    HotplugScriptPlayer(std::vector<HotplugAction> actions, HotplugManager& manager, AioContext& ctx,
                        std::FILE* log = stderr);
    ~HotplugScriptPlayer();
    HotplugScriptPlayer(const HotplugScriptPlayer&) = delete;
    HotplugScriptPlayer& operator=(const HotplugScriptPlayer&) = delete;

    // Starts the schedule: times count from now (home thread of ctx).
    void start();
    // Home thread: actions carried out (successfully or not), errors among them, removals completed.
    size_t actions_run() const { return actions_run_; }
    size_t errors() const { return errors_; }
    size_t removals_completed() const { return *removals_completed_; }

private:
    void on_timer();
    void run(const HotplugAction& a);

    std::vector<HotplugAction> actions_;  // immutable after construction: sorted by time, stable
    HotplugManager& manager_;
    std::FILE* const log_;
    std::unique_ptr<Timer> timer_;        // home thread only: armed for the next action
    int64_t start_ns_ = 0;                // home thread only
    size_t actions_run_ = 0;              // home thread only: also the index of the next action
    size_t errors_ = 0;                   // home thread only
    // Home thread only; shared with the manager's completion callbacks, which may outlive us.
    std::shared_ptr<size_t> removals_completed_ = std::make_shared<size_t>(0);
};

}  // namespace locklab
