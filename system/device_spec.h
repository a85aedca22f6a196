// DeviceSpec: a device as the command line (`-device mmio-scratch,id=s0,cost=200`), a hot-plug
// script and (later) the monitor describe it: a type name and KEY=VALUE properties.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace locklab {

class DeviceSpecError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

struct DeviceSpec {
    std::string type;
    std::map<std::string, std::string, std::less<>> props;

    // Remove and return a property (`fallback` if absent). Throws DeviceSpecError if the value is
    // not a number (decimal or 0x hex).
    std::string take(std::string_view key, std::string fallback = {});
    uint64_t take_u64(std::string_view key, uint64_t fallback);
    // Throws DeviceSpecError naming the first property nobody took.
    void expect_all_taken() const;
};

// "TYPE[,KEY=VALUE...]"; commas and spaces both separate. Throws DeviceSpecError for an empty
// type, an item without '=', an empty key or a repeated key.
DeviceSpec parse_device_spec(std::string_view text);

// QEMU's rule for the ids of -drive and -object: a letter, then letters, digits, '-', '.', '_'.
bool qemu_id_wellformed(std::string_view id);

// QEMU's option syntax for -drive and -global values: "KEY=VALUE[,KEY=VALUE...]", only commas
// separate and ",," is a comma inside a value (file=a,,b.img). The result's `type` is `what` (e.g.
// "-drive"), so take_u64 and expect_all_taken name the option. Throws DeviceSpecError for an item
// without '=', an empty key or a repeated key.
DeviceSpec parse_option_list(std::string_view what, std::string_view text);

}  // namespace locklab
