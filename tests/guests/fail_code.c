/* A guest that fails on purpose with exit code 42: pins that the finisher's fail command with a
 * code ((42 << 16) | 0x3333) becomes the emulator's exit status (run_guest.py --expect-status 42). */
#include "guest.h"

int guest_main(unsigned hartid)
{
    (void)hartid;
    return 42;
}
