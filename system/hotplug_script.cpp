#include "system/hotplug_script.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace locklab {
namespace {

std::string_view trim(std::string_view s)
{
    const size_t b = s.find_first_not_of(" \t\r");
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// Splits off the first whitespace-separated word of `s`.
std::string_view next_word(std::string_view& s)
{
    s = trim(s);
    const size_t end = std::min(s.find_first_of(" \t"), s.size());
    std::string_view w = s.substr(0, end);
    s = trim(s.substr(end));
    return w;
}

double ms(std::chrono::nanoseconds d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

std::vector<HotplugAction> parse_hotplug_script(std::istream& in, const std::string& name)
{
    std::vector<HotplugAction> actions;
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        std::string_view rest = line;
        rest = trim(rest.substr(0, rest.find('#')));
        if (rest.empty()) continue;
        HotplugAction a;
        a.where = fmt::format("{}:{}", name, n);
        auto fail = [&](const std::string& what) { return HotplugScriptError(fmt::format("{}: {}", a.where, what)); };

        const std::string_view time = next_word(rest);
        auto [end, ec] = std::from_chars(time.data(), time.data() + time.size(), a.at_ms);
        if (ec != std::errc() || end != time.data() + time.size() || a.at_ms < 0)
            throw fail(fmt::format("'{}' is not a time in ms (expected '<ms> add ...' or '<ms> del ...')", time));
        const std::string_view verb = next_word(rest);
        if (verb == "add") {
            a.kind = HotplugAction::Kind::Add;
            try {
                a.device = parse_device_spec(rest);
            } catch (const DeviceSpecError& e) {
                throw fail(e.what());
            }
        } else if (verb == "del") {
            a.kind = HotplugAction::Kind::Del;
            a.id = std::string(next_word(rest));
            if (a.id.empty()) throw fail("del needs a device id");
            const std::string_view mode = next_word(rest);
            if (mode == "surprise") a.surprise = true;
            else if (!mode.empty()) throw fail(fmt::format("unexpected '{}' (only 'surprise' may follow the id)", mode));
            if (!rest.empty()) throw fail(fmt::format("unexpected '{}' at the end of the line", rest));
        } else {
            throw fail(fmt::format("unknown action '{}' (expected add or del)", verb));
        }
        actions.push_back(std::move(a));
    }
    return actions;
}

std::vector<HotplugAction> load_hotplug_script(const std::string& path)
{
    std::ifstream in(path);
    if (!in) throw HotplugScriptError(fmt::format("--hotplug-script {}: cannot open", path));
    return parse_hotplug_script(in, path);
}

HotplugScriptPlayer::HotplugScriptPlayer(std::vector<HotplugAction> actions, HotplugManager& manager,
                                         AioContext& ctx, std::FILE* log)
    : actions_(std::move(actions)), manager_(manager), log_(log),
      timer_(ctx.new_timer(ClockType::Virtual, [this] { on_timer(); }))
{
    std::stable_sort(actions_.begin(), actions_.end(),
                     [](const HotplugAction& a, const HotplugAction& b) { return a.at_ms < b.at_ms; });
}

HotplugScriptPlayer::~HotplugScriptPlayer() { timer_->del(); }

void HotplugScriptPlayer::start()
{
    start_ns_ = clock_ns(ClockType::Virtual);
    actions_run_ = 0;
    on_timer();
}

void HotplugScriptPlayer::on_timer()
{
    const int64_t now = clock_ns(ClockType::Virtual);
    auto due = [&](const HotplugAction& a) { return start_ns_ + a.at_ms * 1'000'000; };
    while (actions_run_ < actions_.size() && due(actions_[actions_run_]) <= now) run(actions_[actions_run_++]);
    if (actions_run_ < actions_.size()) timer_->mod(due(actions_[actions_run_]));
}

void HotplugScriptPlayer::run(const HotplugAction& a)
{
    try {
        if (a.kind == HotplugAction::Kind::Add) {
            const std::string id = manager_.device_add(a.device);
            fmt::print(log_, "locklab: hotplug: {} added ({})\n", id, a.device.type);
            return;
        }
        manager_.device_del(a.id, a.surprise, [log = log_, done = removals_completed_](const DeviceDelResult& r) {
            ++*done;
            fmt::print(log,
                       "locklab: hotplug: {} removed ({}): removal {:.3f} ms, {:.3f} ms after device_del "
                       "(unmap {:.3f} ms, drain and unrealize {:.3f} ms)\n",
                       r.id, r.surprise ? "surprise" : "eject handshake", ms(r.removal), ms(r.total), ms(r.unmap),
                       ms(r.unrealize));
        });
        fmt::print(log_, "locklab: hotplug: {} {}\n", a.id, a.surprise ? "surprise removal" : "eject requested");
    } catch (const std::exception& e) {
        ++errors_;
        fmt::print(log_, "locklab: hotplug-script {}: {}\n", a.where, e.what());
    }
}

}  // namespace locklab
