// The main loop's AioContext (QEMU's qemu_aio_context): timers and fd handlers of the board's
// devices (CLINT, UART, RTC) live here. The system layer makes its main thread the home thread
// (main_context().attach_current_thread()) and runs it, e.g. with run_loop() from iothread.h or
// with poll() in its own loop.
#pragma once

#include "loop/aio_context.h"

namespace locklab {

AioContext& main_context();  // named "main"; created on first use, lives until exit

}  // namespace locklab
