// mcycle and minstret (and their unprivileged shadows cycle and instret). In this model a cycle is
// an instruction, so both count retired instructions; each has its own offset against
// Hart::instret so that writes are honoured independently, and mcountinhibit.CY/IR freeze them.
//
// Timing rule: when a CSR instruction executes, Hart::instret counts the instructions retired
// before it (the interpreter keeps it exact at SYSTEM instructions). A read returns that count
// (plus the offset); a write sets the value the *next* instruction reads ("the write is done
// instead of the increment", unprivileged spec, CSR access ordering).
#pragma once

#include <cstdint>

#include "cpu/hart.h"

namespace locklab::rv {

enum class Counter : uint8_t { Cycle, Instret };

uint64_t counter_read(const Hart& h, Counter c);
void counter_write(Hart& h, Counter c, uint64_t value);
// Store mcountinhibit (only CY and IR are implemented; the other bits read 0).
void counter_write_inhibit(Hart& h, uint64_t value);
// Counters at reset: zero, counting.
void counter_reset(Hart& h);

}  // namespace locklab::rv
