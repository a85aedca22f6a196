#include "cpu/counters.h"

#include "cpu/csr_defs.h"

namespace locklab::rv {
namespace {

CounterState& state(Hart& h, Counter c) { return c == Counter::Cycle ? h.csr.mcycle : h.csr.minstret; }
const CounterState& state(const Hart& h, Counter c) { return c == Counter::Cycle ? h.csr.mcycle : h.csr.minstret; }
uint64_t inhibit_bit(Counter c) { return c == Counter::Cycle ? COUNTER_CY : COUNTER_IR; }
bool inhibited(const Hart& h, Counter c) { return h.csr.mcountinhibit & inhibit_bit(c); }

}  // namespace

uint64_t counter_read(const Hart& h, Counter c)
{
    const CounterState& s = state(h, c);
    if (inhibited(h, c)) return s.value_at_mark;
    return s.value_at_mark + (h.instret - s.instret_at_mark);  // modular: wraps like the hardware
}

void counter_write(Hart& h, Counter c, uint64_t value)
{
    CounterState& s = state(h, c);
    s.value_at_mark = value;
    s.instret_at_mark = h.instret + 1;  // the writing instruction does not count
}

void counter_write_inhibit(Hart& h, uint64_t value)
{
    value &= COUNTER_CY | COUNTER_IR;
    for (Counter c : {Counter::Cycle, Counter::Instret}) {
        const bool was = inhibited(h, c), now = value & inhibit_bit(c);
        if (was == now) continue;
        CounterState& s = state(h, c);
        if (now) {
            s.value_at_mark = counter_read(h, c);  // freeze at the current value
        } else {
            s.instret_at_mark = h.instret + 1;     // resume counting with the next instruction
        }
    }
    h.csr.mcountinhibit = value;
}

void counter_reset(Hart& h)
{
    for (Counter c : {Counter::Cycle, Counter::Instret}) state(h, c) = {0, h.instret};
}

}  // namespace locklab::rv
