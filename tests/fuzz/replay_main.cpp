// A main() for fuzz targets built without libFuzzer: feeds every file named on the command line,
// or found in a directory named there, to LLVMFuzzerTestOneInput once. Exit status 0 if every
// input ran (a crash or sanitizer report fails the run, as in libFuzzer); 1 if no input was found.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

bool run_file(const std::filesystem::path& p)
{
    std::ifstream in(p, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "replay: cannot read %s\n", p.c_str());
        return false;
    }
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
    return true;
}

}  // namespace

int main(int argc, char** argv)
{
    unsigned ran = 0;
    for (int i = 1; i < argc; ++i) {
        const std::filesystem::path arg(argv[i]);
        if (std::filesystem::is_directory(arg)) {
            for (const auto& e : std::filesystem::directory_iterator(arg))
                if (e.is_regular_file() && run_file(e.path())) ++ran;
        } else if (run_file(arg)) {
            ++ran;
        }
    }
    std::printf("replay: %u inputs ran\n", ran);
    return ran > 0 ? 0 : 1;
}
