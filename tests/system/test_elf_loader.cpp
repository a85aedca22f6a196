// The image loader: valid ELF files load at their physical addresses; every malformed file is
// refused with a message that names the problem, and nothing is half-loaded.
#include <elf.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>

#include "memory/address_space.h"
#include "system/elf_loader.h"

using namespace locklab;

namespace {

constexpr uint64_t kRam = 0x8000'0000, kRamSize = 1 << 20;

// A minimal ELF64 RISC-V executable with one PT_LOAD segment holding `code`.
std::vector<uint8_t> make_elf(const std::vector<uint8_t>& code, uint64_t paddr = kRam, uint64_t memsz = 0)
{
    Elf64_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_RISCV;
    eh.e_version = EV_CURRENT;
    eh.e_entry = paddr;
    eh.e_phoff = sizeof(Elf64_Ehdr);
    eh.e_ehsize = sizeof(Elf64_Ehdr);
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = 1;
    Elf64_Phdr ph{};
    ph.p_type = PT_LOAD;
    ph.p_offset = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr);
    ph.p_vaddr = ph.p_paddr = paddr;
    ph.p_filesz = code.size();
    ph.p_memsz = memsz ? memsz : code.size();
    ph.p_flags = PF_R | PF_X;
    // Sized once and filled with memcpy: GCC 12 -O3 warns falsely on vector::insert here.
    std::vector<uint8_t> f(sizeof eh + sizeof ph + code.size());
    std::memcpy(f.data(), &eh, sizeof eh);
    std::memcpy(f.data() + sizeof eh, &ph, sizeof ph);
    if (!code.empty()) std::memcpy(f.data() + sizeof eh + sizeof ph, code.data(), code.size());
    return f;
}

std::string write_temp(const std::vector<uint8_t>& bytes, const char* name)
{
    std::string path = std::string("/tmp/locklab-test-") + name;
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return path;
}

struct Board {
    AddressSpace as{"test"};
    std::unique_ptr<MemoryRegion> ram = MemoryRegion::make_ram("ram", kRamSize);
    Board() { as.add_region(kRam, *ram); }
};

std::string load_error(const std::vector<uint8_t>& bytes, const char* name)
{
    Board b;
    try {
        load_image(write_temp(bytes, name), b.as, kRam, kRamSize);
    } catch (const LoadError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("a valid ELF is loaded at its physical address with its bss zero-filled", "[system][elf]")
{
    Board b;
    b.ram->host()[0x10] = 0xAA;  // must be cleared by the zero fill
    auto path = write_temp(make_elf({0x13, 0, 0, 0}, kRam, 0x20), "ok.elf");
    LoadedImage img = load_image(path, b.as, kRam, kRamSize);
    CHECK(img.entry == kRam);
    CHECK(img.lowest == kRam);
    CHECK(img.highest == kRam + 0x20);
    CHECK(b.ram->host()[0] == 0x13);
    CHECK(b.ram->host()[0x10] == 0);
}

TEST_CASE("a missing file is reported by name", "[system][elf]")
{
    Board b;
    REQUIRE_THROWS_WITH(load_image("/nonexistent/guest.elf", b.as, kRam, kRamSize),
                        Catch::Contains("/nonexistent/guest.elf") && Catch::Contains("cannot open"));
}

TEST_CASE("malformed ELF files are refused with the reason", "[system][elf]")
{
    auto good = make_elf({0x13, 0, 0, 0});

    SECTION("truncated header")
    {
        CHECK_THAT(load_error({good.begin(), good.begin() + 30}, "trunc1.elf"), Catch::Contains("truncated"));
    }
    SECTION("truncated segment")
    {
        CHECK_THAT(load_error({good.begin(), good.end() - 2}, "trunc2.elf"), Catch::Contains("truncated"));
    }
    SECTION("32-bit ELF")
    {
        auto f = good;
        f[EI_CLASS] = ELFCLASS32;
        CHECK_THAT(load_error(f, "class32.elf"), Catch::Contains("not a 64-bit ELF"));
    }
    SECTION("another architecture")
    {
        auto f = good;
        f[offsetof(Elf64_Ehdr, e_machine)] = EM_X86_64;
        f[offsetof(Elf64_Ehdr, e_machine) + 1] = 0;
        CHECK_THAT(load_error(f, "x86.elf"), Catch::Contains("not a RISC-V ELF"));
    }
    SECTION("segment outside RAM")
    {
        CHECK_THAT(load_error(make_elf({1, 2, 3, 4}, 0x1000), "low.elf"), Catch::Contains("outside RAM"));
        CHECK_THAT(load_error(make_elf({1, 2, 3, 4}, kRam + kRamSize - 2), "high.elf"),
                   Catch::Contains("outside RAM"));
    }
    SECTION("not an ELF at all")
    {
        CHECK_THAT(load_error({'h', 'e', 'l', 'l', 'o'}, "text.bin"), Catch::Contains("not an ELF file"));
    }
}

TEST_CASE("a raw image is placed at the start of RAM when asked for", "[system][elf]")
{
    Board b;
    auto path = write_temp({0x6f, 0, 0, 0}, "raw.bin");
    LoadedImage img = load_image(path, b.as, kRam, kRamSize, /*raw=*/true);
    CHECK(img.entry == kRam);
    CHECK(b.ram->host()[0] == 0x6f);
}
