/* Traps for guest tests: the trap frame, per-level hooks, "this statement must trap" checks, and
 * running a function at a lower privilege level.
 *
 * crt0 points mtvec at trap_entry_m; a test that delegates traps points stvec at trap_entry_s.
 * Both save every register in a struct trap_frame on the level's own trap stack (mscratch /
 * sscratch hold its top while the level is not handling a trap) and call trap_handle(). What the
 * handler does, in order:
 *   1. the level's hook (trap_hook_m / trap_hook_s), if set and it returns true: handled;
 *   2. the ecall that ends a run_in_mode() call: return to the caller in M-mode;
 *   3. a trap expected with trap_expect(): record it and resume (see below);
 *   4. anything else: print the trap and fail with GUEST_FAIL_TRAP.
 * An expected trap resumes at the `resume` address if one was given, else at ra for instruction
 * fetch faults (tests reach a bad address with a jalr, so ra is where to come back), else after
 * the trapping instruction (its length read from memory at epc).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "layout.h"

struct trap_frame {
    uint64_t x[32]; /* x[2] = sp at the moment of the trap */
    uint64_t cause, epc, tval, status;
};
_Static_assert(sizeof(struct trap_frame) == TF_SIZE, "layout.h disagrees with struct trap_frame");

struct trap_record {
    uint64_t cause; /* TRAP_NONE if nothing trapped */
    uint64_t epc, tval;
    unsigned level; /* PRV_M or PRV_S: where the trap was taken */
};
#define TRAP_NONE (~0ull)

typedef bool (*trap_hook_t)(struct trap_frame *f);
extern volatile trap_hook_t trap_hook_m, trap_hook_s;

void trap_entry_m(void);
void trap_entry_s(void);

/* Arm the calling hart: its next synchronous trap is recorded instead of failing the guest. */
void trap_expect(uint64_t resume);
/* Disarm and return what was recorded (cause TRAP_NONE if nothing trapped). */
struct trap_record trap_collect(void);
/* Evaluates `stmt` and yields the trap it raised, as a struct trap_record. */
#define TRAP_OF(stmt)           \
    ({                          \
        trap_expect(0);         \
        stmt;                   \
        trap_collect();         \
    })

/* M-mode only: call fn(arg) at privilege `mode` (PRV_U, PRV_S or PRV_M) with mstatus.MPP and mret,
 * on stack `sp` (0: just below the caller's stack), and return its result once it returns. In
 * U-mode the function is called from a trampoline in the .user pages. */
long run_in_mode(unsigned mode, long (*fn)(long), long arg, uint64_t sp);

/* Skip the instruction at epc (2 or 4 bytes, read from memory). */
uint64_t next_insn(uint64_t epc);
