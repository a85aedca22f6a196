#include "system/elf_loader.h"

#include <elf.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

namespace locklab {
namespace {

std::vector<uint8_t> read_file(const std::string& path)
{
    std::ifstream f(path, std::ios::binary);
    if (!f) throw LoadError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
    std::vector<uint8_t> data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (f.bad()) throw LoadError(fmt::format("{}: read error", path));
    return data;
}

bool is_elf(const std::vector<uint8_t>& f)
{
    return f.size() >= 4 && std::memcmp(f.data(), ELFMAG, SELFMAG) == 0;
}

template <class T>
T read_struct(const std::vector<uint8_t>& f, uint64_t off, const std::string& name, const char* what)
{
    if (off > f.size() || f.size() - off < sizeof(T))
        throw LoadError(fmt::format("{}: truncated: {} at offset {:#x} needs {} bytes, file has {}", name,
                                    what, off, sizeof(T), f.size()));
    T t;
    std::memcpy(&t, f.data() + off, sizeof(T));
    return t;
}

}  // namespace

std::vector<ImageSegment> parse_elf(const std::vector<uint8_t>& f, const std::string& name, uint64_t& entry)
{
    if (f.size() < EI_NIDENT)
        throw LoadError(fmt::format("{}: truncated: {} bytes is too short for an ELF header", name, f.size()));
    if (f[EI_CLASS] != ELFCLASS64)
        throw LoadError(fmt::format("{}: not a 64-bit ELF (EI_CLASS = {}); locklab emulates RV64", name,
                                    f[EI_CLASS]));
    if (f[EI_DATA] != ELFDATA2LSB)
        throw LoadError(fmt::format("{}: not a little-endian ELF (EI_DATA = {})", name, f[EI_DATA]));
    auto eh = read_struct<Elf64_Ehdr>(f, 0, name, "ELF header");
    if (eh.e_machine != EM_RISCV)
        throw LoadError(fmt::format("{}: not a RISC-V ELF (e_machine = {}, expected {})", name, eh.e_machine,
                                    EM_RISCV));
    if (eh.e_type != ET_EXEC)
        throw LoadError(fmt::format("{}: not an executable (e_type = {}); link the guest with a fixed address",
                                    name, eh.e_type));
    if (eh.e_phentsize != sizeof(Elf64_Phdr))
        throw LoadError(fmt::format("{}: bad program header size {} (expected {})", name, eh.e_phentsize,
                                    sizeof(Elf64_Phdr)));
    if (eh.e_phnum == 0) throw LoadError(fmt::format("{}: no program headers", name));

    std::vector<ImageSegment> segs;
    for (unsigned i = 0; i < eh.e_phnum; ++i) {
        auto ph = read_struct<Elf64_Phdr>(f, eh.e_phoff + uint64_t(i) * sizeof(Elf64_Phdr), name,
                                          "program header");
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
        if (ph.p_filesz > ph.p_memsz)
            throw LoadError(fmt::format("{}: segment {}: file size {:#x} exceeds memory size {:#x}", name, i,
                                        ph.p_filesz, ph.p_memsz));
        if (ph.p_offset > f.size() || f.size() - ph.p_offset < ph.p_filesz)
            throw LoadError(fmt::format("{}: truncated: segment {} needs bytes {:#x}..{:#x}, file has {:#x}",
                                        name, i, ph.p_offset, ph.p_offset + ph.p_filesz, f.size()));
        if (ph.p_paddr + ph.p_memsz < ph.p_paddr)
            throw LoadError(fmt::format("{}: segment {} wraps around the address space", name, i));
        if (ph.p_memsz > (uint64_t(1) << 36))
            throw LoadError(fmt::format("{}: segment {} is implausibly large ({:#x} bytes)", name, i,
                                        ph.p_memsz));
        ImageSegment s;
        s.paddr = ph.p_paddr;
        s.bytes.assign(ph.p_memsz, 0);
        std::memcpy(s.bytes.data(), f.data() + ph.p_offset, ph.p_filesz);
        segs.push_back(std::move(s));
    }
    if (segs.empty()) throw LoadError(fmt::format("{}: no loadable segments", name));
    entry = eh.e_entry;
    return segs;
}

LoadedImage load_image(const std::string& path, AddressSpace& as, uint64_t ram_base, uint64_t ram_size,
                       bool raw)
{
    std::vector<uint8_t> file = read_file(path);
    std::vector<ImageSegment> segs;
    LoadedImage img;
    if (is_elf(file)) {
        segs = parse_elf(file, path, img.entry);
    } else if (raw) {
        if (file.empty()) throw LoadError(fmt::format("{}: empty image", path));
        segs.push_back({ram_base, std::move(file)});
        img.entry = ram_base;
    } else {
        throw LoadError(fmt::format("{}: not an ELF file (no ELF magic); pass --raw to load a raw binary at "
                                    "{:#x}",
                                    path, ram_base));
    }

    img.lowest = ~uint64_t(0);
    for (const auto& s : segs) {
        uint64_t end = s.paddr + s.bytes.size();
        if (s.paddr < ram_base || end > ram_base + ram_size)
            throw LoadError(fmt::format("{}: segment at {:#x}..{:#x} falls outside RAM {:#x}..{:#x} (try a larger -m)",
                                        path, s.paddr, end, ram_base, ram_base + ram_size));
        img.lowest = std::min(img.lowest, s.paddr);
        img.highest = std::max(img.highest, end);
    }
    if (img.entry < img.lowest || img.entry >= img.highest)
        throw LoadError(fmt::format("{}: entry point {:#x} is outside the loaded segments", path, img.entry));
    for (const auto& s : segs)
        if (as.write_bytes(s.paddr, s.bytes.data(), s.bytes.size()) != MemTx::Ok)
            throw LoadError(fmt::format("{}: could not write segment at {:#x}", path, s.paddr));
    return img;
}

}  // namespace locklab
