// Loading guest images: ELF64 RISC-V executables (segments placed at their physical addresses) or
// raw binaries (placed at the start of RAM). Every problem with the file is reported as a
// LoadError naming the file, what is wrong and where; nothing is written to guest memory unless
// the whole image is valid.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "memory/address_space.h"

namespace locklab {

class LoadError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct LoadedImage {
    uint64_t entry = 0;
    uint64_t lowest = 0;   // lowest guest-physical byte written
    uint64_t highest = 0;  // one past the highest
};

struct ImageSegment {
    uint64_t paddr = 0;
    std::vector<uint8_t> bytes;  // file contents followed by zero fill up to memsz
};

// Parses and validates an ELF image in memory. `name` is used in error messages.
std::vector<ImageSegment> parse_elf(const std::vector<uint8_t>& file, const std::string& name,
                                    uint64_t& entry);

// Reads `path` and loads it into `as`. ELF files are recognised by their magic; anything else is a
// LoadError unless `raw` is set, in which case the bytes are placed at `raw_base` and entry = raw_base.
// Every segment must fall inside RAM [ram_base, ram_base + ram_size).
LoadedImage load_image(const std::string& path, AddressSpace& as, uint64_t ram_base, uint64_t ram_size,
                       bool raw = false);

}  // namespace locklab
