// The command line: `locklab run [options] IMAGE` and the qemu-system-riscv64 spellings existing
// scripts use (`-machine virt -nographic -bios none -kernel IMAGE -smp N -m SIZE`).
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "system/machine_config.h"

namespace locklab {

class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Parses "128M", "1G", "512" (MiB, QEMU's default unit), "64K". Throws UsageError.
uint64_t parse_size(const std::string& s);

// Rewrites QEMU-style single-dash long options into CLI11 form and rejects QEMU options locklab
// does not implement, with a message saying so. Returns the arguments without argv[0].
std::vector<std::string> translate_qemu_args(const std::vector<std::string>& args);

struct CliResult {
    std::optional<MachineConfig> config;  // empty: nothing to run (help was printed)
    int exit_code = 0;
};

// Parses the full command line (argv[0] excluded). Prints help/errors itself.
CliResult parse_command_line(const std::vector<std::string>& args);

}  // namespace locklab
