// Built only when the JIT is (see tests/difftest/CMakeLists.txt).
#include "tests/difftest/jit_engine.h"

#include "cpu/tcg/jit.h"
#include "tests/difftest/engine.h"

namespace locklab::rv::difftest {
namespace {

struct JitConfig {
    const char* name;
    tcg::JitOptions options;
};

const JitConfig kConfigs[] = {
    {"jit", {}},
    {"jit1", {.max_block_insns = 1}},
    {"jit-blocks", {.side_exits = 0}},  // no superblocks: a block ends at every branch
    {"jit-nochain", {.chaining = false}},
    {"jit-noopt", {.optimize = false}},
    {"jit-tlb", {.ram_window = false}},  // M-mode loads through the TLB too
};

class JitEngine final : public Engine {
public:
    explicit JitEngine(const JitConfig& c) : config_(c) {}
    std::string name() const override { return config_.name; }
    void attach(Hart& h) override { tcg::enable_jit(h, config_.options); }
    RunExit run(Hart& h, uint64_t budget) override { return h.run(budget); }

private:
    const JitConfig& config_;
};

}  // namespace

std::unique_ptr<Engine> make_jit_engine(const std::string& name)
{
    for (const JitConfig& c : kConfigs) {
        if (name == c.name) return std::make_unique<JitEngine>(c);
    }
    return nullptr;
}

std::vector<std::string> jit_engine_names()
{
    std::vector<std::string> names;
    for (const JitConfig& c : kConfigs) names.push_back(c.name);
    return names;
}

}  // namespace locklab::rv::difftest
