/* Numbers shared by the assembly (crt0.S, trap_entry.S) and the C runtime. Plain #defines only:
 * this header is included from .S files. */
#pragma once

#define GUEST_MAX_HARTS 8
#define GUEST_STACK_SIZE 0x4000      /* per hart: the stack guest_main runs on */
#define GUEST_TRAP_STACK_SIZE 0x1000 /* per hart and per trap level (M, S) */
#define GUEST_HART_AREA (GUEST_STACK_SIZE + 2 * GUEST_TRAP_STACK_SIZE)

/* a7 value of the ecall that ends a function started by run_in_mode(). */
#define MODE_RETURN_MAGIC 0x6d6f6465 /* "mode" */

/* struct trap_frame (trap.h): x0..x31, then the trap CSRs. x2 holds the interrupted sp. */
#define TF_CAUSE (32 * 8)
#define TF_EPC (33 * 8)
#define TF_TVAL (34 * 8)
#define TF_STATUS (35 * 8)
#define TF_SIZE (36 * 8)
