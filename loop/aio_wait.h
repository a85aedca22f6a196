// Waiting for a condition while keeping a loop running (QEMU's AIO_WAIT_WHILE, aio-wait.h).
//
// aio_wait_while(ctx, cond) polls ctx (which must be the caller's home context) until cond() is
// false. Whoever makes cond() false from another thread must call aio_wait_kick() afterwards,
// which wakes every context currently inside aio_wait_while. Ordering: the waiter registers,
// then evaluates cond; the kicker changes its state, then reads the registrations (seq_cst on
// both sides, plus the registry mutex), so a kick is never lost.
#pragma once

#include "loop/aio_context.h"

namespace locklab {

void aio_wait_kick();  // any thread; cheap (one atomic load) when nobody waits

// RAII: registers `ctx` as a waiter for the lifetime of the object.
class AioWaitRegistration {
public:
    explicit AioWaitRegistration(AioContext& ctx);
    ~AioWaitRegistration();
    AioWaitRegistration(const AioWaitRegistration&) = delete;
    AioWaitRegistration& operator=(const AioWaitRegistration&) = delete;

private:
    AioContext& ctx_;
};

template <class Cond>
void aio_wait_while(AioContext& ctx, Cond&& cond)
{
    AioWaitRegistration waiting(ctx);
    while (cond()) ctx.poll(true);
}

}  // namespace locklab
