// One engine's machine for one program: RAM over an address space, a hart, the program loaded
// and the initial state applied. And the architectural state the harness compares afterwards.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cpu/hart.h"
#include "memory/address_space.h"
#include "memory/memory_region.h"
#include "tests/memory/test_device.h"
#include "tests/difftest/program.h"

namespace locklab::rv::difftest {

class Machine {
public:
    explicit Machine(const Program& p);
    ~Machine();
    Machine(const Machine&) = delete;
    Machine& operator=(const Machine&) = delete;

    Hart& hart() { return *hart_; }
    const uint8_t* ram() const { return ram_->host(); }
    AddressSpace& bus() { return as_; }

private:
    void load(const Program& p);
    void build_page_tables(const std::vector<Mapping>& mappings);
    uint8_t* host(uint64_t pa) { return ram_->host() + (pa - ram_base_); }

    std::unique_ptr<MemoryRegion> ram_;  // outlives as_
    Ref<locklab::test::TestDevice> mmio_;
    AddressSpace as_{"difftest"};
    std::unique_ptr<Hart> hart_;
    uint64_t ram_base_;
};

// Everything the two engines must agree on after a program.
struct ArchState {
    bool finished = false;  // reached the `done` loop (otherwise stopped at the instruction cap)
    uint64_t x[32] = {};
    uint64_t pc = 0;
    Priv priv = Priv::M;
    uint64_t instret = 0;
    std::vector<std::pair<uint16_t, uint64_t>> csrs;  // (number, value) of every compared CSR
    std::vector<uint8_t> ram;                          // all of it: handler log, data, page tables
    std::vector<uint8_t> mmio;                         // the test device's registers
};

ArchState capture(Machine& m, bool finished);
// Human-readable differences between a and b (at most `max_lines`; empty when they agree).
std::vector<std::string> differences(const ArchState& a, const ArchState& b, const std::string& name_a,
                                     const std::string& name_b, size_t max_lines = 12);

}  // namespace locklab::rv::difftest
