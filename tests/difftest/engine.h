// The engines the differential tester compares. Each runs a hart with Hart::run()'s contract
// (execute at least `budget` instructions unless WFI or an exit request ends the run; traps are
// taken inside). Engine A is the interpreter; engine B is the JIT or another way of executing the
// same instructions:
//   interp       Hart::run(): the interpreter with its decoded-block cache, chaining and threaded
//                dispatch (the reference)
//   step         a one-instruction-at-a-time loop over the semantics (fetch_uncached, decode,
//                execute, take_exception): no block cache, exact instret bookkeeping per step
//   slice        the interpreter with budget 1 per call and its block cache flushed before each
//                call (blocks decoded afresh, never chained across calls)
//   trace        the interpreter's tracing instantiation (on_insn_exec set: pc/instret written back
//                before every instruction)
//   jit, jit1, jit-nochain, jit-noopt
//                the JIT (cpu/tcg/jit.h): default options, one instruction per block, without
//                block chaining, without the IR passes (only when the JIT is built)
//   NAME+kick    engine NAME while another thread calls Hart::kick() every few microseconds: run()
//                returns early with RunExit::ExitRequest at block boundaries, which must never
//                change the architectural result (interp+kick, jit+kick, ...)
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cpu/decoded_insn.h"
#include "cpu/hart.h"

namespace locklab::rv::difftest {

class Engine {
public:
    virtual ~Engine() = default;
    virtual std::string name() const = 0;
    // Called once on a fresh hart before the first run().
    virtual void attach(Hart&) {}
    virtual RunExit run(Hart& h, uint64_t budget) = 0;
    // The budget the harness passes to run() (the harness stops a program that has been given
    // more than its instruction cap in all).
    virtual uint64_t slice() const { return 1000; }
};

// A deliberate fault for the `step` engine (to show that the tester catches and shrinks one):
// called before each instruction; returning a value means "executed, with this result" (the
// semantics' bool), returning nullopt executes the instruction normally.
using Mutation = std::function<std::optional<bool>(Hart&, const DecodedInsn&)>;

std::unique_ptr<Engine> make_step_engine(Mutation mutation = {});

// The engine called `name` (see above), or null when there is none of that name or it is not built.
std::unique_ptr<Engine> make_engine(const std::string& name);
// Names make_engine() accepts in this build.
std::vector<std::string> engine_names();

}  // namespace locklab::rv::difftest
