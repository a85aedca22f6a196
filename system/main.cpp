// locklab: the emulator's command line entry point.
#include <cstdio>

#include <fmt/format.h>

#include "system/cli.h"
#include "system/elf_loader.h"
#include "system/machine.h"

int main(int argc, char** argv)
{
    using namespace locklab;
    std::vector<std::string> args(argv + 1, argv + argc);
    CliResult cli = parse_command_line(args);
    if (!cli.config) return cli.exit_code;
    try {
        Machine m(*cli.config);
        return m.run();
    } catch (const LoadError& e) {
        fmt::print(stderr, "locklab: error: {}\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        fmt::print(stderr, "locklab: error: {}\n", e.what());
        return 1;
    }
}
