#include "system/drives.h"

#include <fmt/format.h>

namespace locklab {

DriveRegistry::DriveRegistry(const std::vector<DriveConfig>& drives, AioContext& main_ctx) : main_ctx_(main_ctx)
{
    for (const auto& d : drives) {
        std::unique_ptr<BlockDriver> driver;
        try {
            driver = open_block_driver(d.file, BlockOpenOptions{d.format, d.read_only});
        } catch (const std::exception& e) {
            throw DriveError(fmt::format("-drive id={} (file={}): {}", d.id, d.file, e.what()));
        }
        if (d.format.empty())
            fmt::print(stderr,
                       "locklab: warning: -drive id={}: no format= given, the image was probed as {}; give "
                       "format={} to be sure a guest cannot change what the image is taken for\n",
                       d.id, driver->format_name(), driver->format_name());
        insert(d.id, std::move(driver), d.aio);
    }
}

void DriveRegistry::insert(const std::string& id, std::unique_ptr<BlockDriver> driver, AioMode aio)
{
    if (drives_.contains(id)) throw DriveError(fmt::format("-drive id={}: the id is used twice", id));
    drives_.emplace(id, Drive{std::make_shared<BlockBackend>(id, std::move(driver), main_ctx_, aio), {}});
}

DriveRegistry::~DriveRegistry() = default;

DriveRegistry::Drive& DriveRegistry::at(std::string_view id, const char* what)
{
    auto it = drives_.find(id);
    if (it == drives_.end()) throw DriveError(fmt::format("{}: no drive '{}'", what, id));
    return it->second;
}

std::shared_ptr<BlockBackend> DriveRegistry::attach(std::string_view id, std::string_view user, AioContext& ctx)
{
    Drive& d = at(id, "drive");
    if (!d.user.empty())
        throw DriveError(fmt::format("drive '{}' is already in use by device '{}'", id, d.user));
    d.backend->move_to_context(ctx);
    d.user = std::string(user);
    return d.backend;
}

void DriveRegistry::detach(std::string_view id)
{
    Drive& d = at(id, "detach");
    d.backend->move_to_context(main_ctx_);
    d.user.clear();
}

BlockBackend* DriveRegistry::find(std::string_view id) const
{
    auto it = drives_.find(id);
    return it == drives_.end() ? nullptr : it->second.backend.get();
}

std::string DriveRegistry::user(std::string_view id) const
{
    auto it = drives_.find(id);
    return it == drives_.end() ? std::string{} : it->second.user;
}

std::vector<std::string> DriveRegistry::ids() const
{
    std::vector<std::string> out;
    for (const auto& [id, d] : drives_) out.push_back(id);
    return out;
}

}  // namespace locklab
