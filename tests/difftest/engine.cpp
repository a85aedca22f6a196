#include "tests/difftest/engine.h"

#include <chrono>
#include <thread>

#include "cpu/memory_access.h"
#include "cpu/privileged.h"
#include "cpu/semantics.h"
#include "locking/rcu.h"
#include "tests/difftest/jit_engine.h"

namespace locklab::rv::difftest {
namespace {

class InterpEngine final : public Engine {
public:
    std::string name() const override { return "interp"; }
    RunExit run(Hart& h, uint64_t budget) override { return h.run(budget); }
};

class SliceEngine final : public Engine {
public:
    std::string name() const override { return "slice"; }
    RunExit run(Hart& h, uint64_t budget) override
    {
        h.code_flush();
        return h.run(budget);
    }
    uint64_t slice() const override { return 1; }
};

class TraceEngine final : public Engine {
public:
    std::string name() const override { return "trace"; }
    void attach(Hart& h) override
    {
        h.on_insn_exec = [](const Hart&, const DecodedInsn&) {};
    }
    RunExit run(Hart& h, uint64_t budget) override { return h.run(budget); }
};

class StepEngine final : public Engine {
public:
    explicit StepEngine(Mutation m) : mutation_(std::move(m)) {}
    std::string name() const override { return mutation_ ? "step+mutation" : "step"; }

    RunExit run(Hart& h, uint64_t budget) override
    {
        h.process_queued_work();
        RcuReadGuard rcu;
        h.wfi = false;
        take_pending_interrupt(h);
        for (uint64_t i = 0; i < budget; ++i) {
            if (h.exit_request.exchange(false, std::memory_order_acquire)) {
                take_pending_interrupt(h);
                return RunExit::ExitRequest;
            }
            step(h);
            if (h.wfi) return RunExit::Wfi;
        }
        return RunExit::BudgetDone;
    }

private:
    // One instruction: it retires (instret + 1, pc = next_pc) or traps (the trap handler's pc).
    // After a SYSTEM operation an interrupt it unmasked is taken before the next instruction.
    void step(Hart& h)
    {
        uint32_t bits = 0;
        if (!fetch_uncached(h, h.pc, bits)) {
            take_exception(h);
            return;
        }
        const DecodedInsn d = decode(bits);
        h.next_pc = h.pc + d.len;
        std::optional<bool> ok = mutation_ ? mutation_(h, d) : std::nullopt;
        if (!ok) ok = execute(h, d);
        if (!*ok) {
            take_exception(h);
            return;
        }
        h.instret += 1;
        h.pc = h.next_pc;
        if (op_flags(d.op) & OPF_SYSTEM) take_pending_interrupt(h);
    }

    Mutation mutation_;
};

// Another engine, kicked from a second thread all through each run() call.
class KickedEngine final : public Engine {
public:
    explicit KickedEngine(std::unique_ptr<Engine> inner) : inner_(std::move(inner)) {}
    std::string name() const override { return inner_->name() + "+kick"; }
    void attach(Hart& h) override { inner_->attach(h); }
    uint64_t slice() const override { return inner_->slice(); }
    RunExit run(Hart& h, uint64_t budget) override
    {
        std::jthread kicker([&h](std::stop_token stop) {
            while (!stop.stop_requested()) {
                h.kick();
                std::this_thread::sleep_for(std::chrono::microseconds(5));
            }
        });
        const RunExit r = inner_->run(h, budget);
        kicker.request_stop();
        kicker.join();
        h.exit_request.store(false, std::memory_order_relaxed);  // a kick after run() returned
        return r;
    }

private:
    std::unique_ptr<Engine> inner_;
};

constexpr std::string_view kKickSuffix = "+kick";

}  // namespace

std::unique_ptr<Engine> make_step_engine(Mutation mutation) { return std::make_unique<StepEngine>(std::move(mutation)); }

std::unique_ptr<Engine> make_engine(const std::string& name)
{
    if (name == "interp") return std::make_unique<InterpEngine>();
    if (name == "step") return make_step_engine();
    if (name == "slice") return std::make_unique<SliceEngine>();
    if (name == "trace") return std::make_unique<TraceEngine>();
    if (name.ends_with(kKickSuffix)) {
        auto inner = make_engine(name.substr(0, name.size() - kKickSuffix.size()));
        return inner ? std::make_unique<KickedEngine>(std::move(inner)) : nullptr;
    }
    return make_jit_engine(name);
}

std::vector<std::string> engine_names()
{
    std::vector<std::string> names = {"interp", "step", "slice", "trace"};
    for (const std::string& n : jit_engine_names()) names.push_back(n);
    for (size_t i = 0, n = names.size(); i < n; ++i) names.push_back(names[i] + std::string(kKickSuffix));
    return names;
}

}  // namespace locklab::rv::difftest
