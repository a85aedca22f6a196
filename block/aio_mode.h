// AioMode: how a BlockBackend hands its reads and writes to the driver (-drive ...,aio=).
//
//   threads  every request runs on the backend's worker threads and completes through a one-shot
//            BH in its AioContext: two cross-thread hand-offs a request (QEMU's aio=threads, its
//            default, does the same).
//   nowait   locklab's default: a read or write is first tried in the submitting thread without
//            blocking (BlockDriver::try_read_nowait/try_write_nowait: RWF_NOWAIT host I/O, no
//            waiting lock); if the whole transfer is done there, it completes through a one-shot
//            BH in the same AioContext without a worker. Otherwise, and always for flush,
//            write-zeroes and discard, it runs on the workers as with `threads`.
//
// QEMU's other spellings (native, io_uring) are not implemented.
#pragma once

#include <optional>
#include <string_view>

namespace locklab {

enum class AioMode { Threads, Nowait };

constexpr const char* aio_mode_name(AioMode m) { return m == AioMode::Threads ? "threads" : "nowait"; }

constexpr std::optional<AioMode> parse_aio_mode(std::string_view s)
{
    if (s == "threads") return AioMode::Threads;
    if (s == "nowait") return AioMode::Nowait;
    return std::nullopt;
}

}  // namespace locklab
