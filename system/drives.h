// DriveRegistry: the machine's -drive images by id (QEMU's drive list). Every image is opened when
// the machine is built, before the guest runs, so a missing file or a bad image ends the run with
// an error naming the drive. A drive serves one device at a time (attach/detach); while attached it
// is in the device's AioContext (an IOThread's or the main loop's; the device moves it along when it
// moves itself) and comes back to the main loop when the device lets go of it.
//
// Threading: the registry is used in the main loop's thread only (the machine's thread, which
// creates and plugs devices). The backends themselves are thread-safe (block/block_backend.h).
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "block/block_backend.h"
#include "loop/aio_context.h"
#include "system/machine_config.h"

namespace locklab {

class DriveError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class DriveRegistry {
public:
    // Opens every drive as a BlockBackend in `main_ctx`. Throws DriveError ("-drive id=d0
    // (file=disk.img): ...") for the first that cannot be opened, having opened none.
    DriveRegistry(const std::vector<DriveConfig>& drives, AioContext& main_ctx);
    // Adds drive `id` on an already opened driver (tests; a later blockdev-add). Throws DriveError
    // if the id is taken.
    void insert(const std::string& id, std::unique_ptr<BlockDriver> driver, AioMode aio = AioMode::Nowait);
    ~DriveRegistry();  // lets go of them (a backend closes, drained, with its last user)
    DriveRegistry(const DriveRegistry&) = delete;
    DriveRegistry& operator=(const DriveRegistry&) = delete;

    // Drive `id` now serves device `user`, its requests running in `ctx` (the backend is moved
    // there through a drained section). Throws DriveError for an unknown drive or one in use.
    std::shared_ptr<BlockBackend> attach(std::string_view id, std::string_view user, AioContext& ctx);
    // The device let go of it (it is unrealized): the drive goes back to the main loop, free.
    void detach(std::string_view id);

    BlockBackend* find(std::string_view id) const;  // nullptr if there is no such drive
    std::string user(std::string_view id) const;    // the device it serves, empty if free or unknown
    std::vector<std::string> ids() const;           // sorted

private:
    struct Drive {
        std::shared_ptr<BlockBackend> backend;  // shared with the device using it
        std::string user;  // device id, empty while free
    };
    Drive& at(std::string_view id, const char* what);

    AioContext& main_ctx_;
    std::map<std::string, Drive, std::less<>> drives_;  // main loop's thread only
};

}  // namespace locklab
