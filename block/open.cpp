// open_block_driver: format probing and backing-chain resolution.
#include <sys/stat.h>

#include <array>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "block/block_driver.h"
#include "block/host_file.h"
#include "block/qcow2.h"
#include "block/raw.h"

namespace locklab {

namespace {

// Deeper chains than this are refused (each link holds an open file).
constexpr size_t kMaxChainDepth = 256;

const char* probe_format(const HostFile& f)
{
    std::array<uint8_t, 4> magic{};
    if (f.size() >= 4 && f.pread(0, magic.data(), magic.size()) == 0 && std::memcmp(magic.data(), "QFI\xfb", 4) == 0)
        return "qcow2";
    return "raw";
}

std::string canonical_path(const std::string& path)
{
    char buf[PATH_MAX];
    if (!::realpath(path.c_str(), buf))
        throw BlockError("cannot open '" + path + "': " + std::strerror(errno));
    return buf;
}

std::unique_ptr<BlockDriver> open_in_chain(const std::string& path, std::string format, bool read_only,
                                           std::vector<std::string>& chain)
{
    const std::string canon = canonical_path(path);
    for (const auto& seen : chain) {
        if (seen != canon) continue;
        std::string loop;
        for (const auto& p : chain) loop += p + " -> ";
        throw BlockError("backing file loop: " + loop + canon);
    }
    if (chain.size() >= kMaxChainDepth)
        throw BlockError("backing chain deeper than " + std::to_string(kMaxChainDepth) + " images at '" + path + "'");
    chain.push_back(canon);

    auto file = std::make_unique<HostFile>(path, read_only);
    if (format.empty()) format = probe_format(*file);
    if (format == "raw") return std::make_unique<RawDriver>(std::move(file));
    if (format == "qcow2") {
        // A relative backing name is relative to the folder of the image that names it.
        const std::filesystem::path folder = std::filesystem::path(path).parent_path();
        auto open_backing = [&](const std::string& name, const std::string& backing_format) {
            const std::filesystem::path p(name);
            const std::string resolved = p.is_absolute() || folder.empty() ? name : (folder / p).string();
            return open_in_chain(resolved, backing_format, true, chain);
        };
        return std::make_unique<Qcow2Driver>(std::move(file), open_backing);
    }
    throw BlockError("'" + path + "': unknown image format '" + format + "' (raw, qcow2)");
}

}  // namespace

std::unique_ptr<BlockDriver> open_block_driver(const std::string& path, const BlockOpenOptions& opts)
{
    std::vector<std::string> chain;
    return open_in_chain(path, opts.format, opts.read_only, chain);
}

}  // namespace locklab
