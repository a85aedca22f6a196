// Fuzz target: the input is a qcow2 image file. It is opened (header, extensions, L1 and refcount
// tables validated), then read and written at a few places (L2 entries, compressed and zero
// clusters, allocation with refcount updates). Any outcome but a crash, a hang or a sanitizer
// report is fine: a BlockError at open, or -EIO/-ENOSPC from a request.
// A backing file named by the input is never looked up: every backing name opens the same small
// raw file, so the fuzzer cannot make the target read arbitrary host files.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "block/host_file.h"
#include "block/qcow2.h"
#include "block/raw.h"

using namespace locklab;

namespace {

// Two scratch files for the process lifetime: the image under test and the stand-in backing file.
struct ScratchFiles {
    std::string image, backing;
    ScratchFiles()
    {
        const auto tmp = std::filesystem::temp_directory_path();
        const std::string stem = "locklab-qcow2-fuzz-" + std::to_string(::getpid());
        image = (tmp / (stem + ".qcow2")).string();
        backing = (tmp / (stem + "-backing.raw")).string();
        std::ofstream b(backing, std::ios::binary | std::ios::trunc);
        for (int i = 0; i < (1 << 20); ++i) b.put(static_cast<char>(i * 7));
    }
    ~ScratchFiles()
    {
        std::error_code ec;
        std::filesystem::remove(image, ec);
        std::filesystem::remove(backing, ec);
    }
};

void exercise(BlockDriver& drv, uint64_t seed)
{
    const uint64_t len = drv.length();
    if (len == 0) return;
    std::vector<uint8_t> buf(64 * 1024);
    auto at = [&](uint64_t n, uint64_t bytes) { return bytes >= len ? 0 : n % (len - bytes + 1); };
    auto span = [&](uint64_t bytes) { return IoVector{std::span<uint8_t>(buf.data(), bytes)}; };
    const uint64_t chunk = std::min<uint64_t>(len, buf.size());
    (void)drv.read(0, span(chunk));
    (void)drv.read(at(seed, chunk), span(chunk));
    (void)drv.read(len - chunk, span(chunk));
    const uint64_t small = std::min<uint64_t>(len, 3000);
    (void)drv.write(at(seed * 31 + 5, small), span(small));
    (void)drv.write(at(seed * 17 + 9, small), span(small));
    (void)drv.write_zeroes(at(seed * 13, chunk), chunk, true);
    (void)drv.read(at(seed * 31 + 5, small), span(small));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static ScratchFiles files;
    {
        std::ofstream out(files.image, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    uint64_t seed = 0;
    for (size_t i = 0; i < size && i < 8; ++i) seed = seed << 8 | data[size - 1 - i];
    auto open_backing = [&](const std::string&, const std::string&) -> std::unique_ptr<BlockDriver> {
        return std::make_unique<RawDriver>(std::make_unique<HostFile>(files.backing, true));
    };
    try {
        Qcow2Driver drv(std::make_unique<HostFile>(files.image, false), open_backing);
        exercise(drv, seed);
    } catch (const BlockError&) {
        // a refused image: the expected outcome for most inputs
    }
    return 0;
}
