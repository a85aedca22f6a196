#include "devices/fdt_writer.h"

#include <libfdt.h>

#include <stdexcept>

#include <fmt/format.h>

namespace locklab {

namespace {
constexpr size_t kInitialSize = 4096;
constexpr size_t kMaxSize = 16u << 20;  // a tree this large means a bug, not a big board
}  // namespace

template <class Op>
void FdtWriter::call(const char* what, Op op)
{
    for (;;) {
        const int err = op(buf_.data());
        if (err >= 0) return;
        if (err != -FDT_ERR_NOSPACE || buf_.size() >= kMaxSize)
            throw std::runtime_error(fmt::format("device tree: {}: {}", what, fdt_strerror(err)));
        std::vector<uint8_t> bigger(buf_.size() * 2);
        if (const int e = fdt_resize(buf_.data(), bigger.data(), int(bigger.size())); e < 0)
            throw std::runtime_error(fmt::format("device tree: resize: {}", fdt_strerror(e)));
        buf_.swap(bigger);
    }
}

FdtWriter::FdtWriter() : buf_(kInitialSize)
{
    call("create", [&](void* fdt) { return fdt_create(fdt, int(buf_.size())); });
    call("reserve map", [](void* fdt) { return fdt_finish_reservemap(fdt); });
    call("root", [](void* fdt) { return fdt_begin_node(fdt, ""); });
}

void FdtWriter::begin_node(const std::string& name)
{
    call(name.c_str(), [&](void* fdt) { return fdt_begin_node(fdt, name.c_str()); });
}

void FdtWriter::end_node()
{
    call("end node", [](void* fdt) { return fdt_end_node(fdt); });
}

void FdtWriter::prop_bytes(const char* name, const void* data, size_t len)
{
    call(name, [&](void* fdt) { return fdt_property(fdt, name, data, int(len)); });
}

void FdtWriter::prop_empty(const char* name)
{
    static const char none = 0;
    prop_bytes(name, &none, 0);
}

void FdtWriter::prop_u32(const char* name, uint32_t v) { prop_cells(name, {v}); }

void FdtWriter::prop_cells(const char* name, const std::vector<uint32_t>& cells)
{
    std::vector<fdt32_t> be;
    be.reserve(cells.size());
    for (uint32_t c : cells) be.push_back(cpu_to_fdt32(c));
    prop_bytes(name, be.data(), be.size() * sizeof(fdt32_t));
}

void FdtWriter::prop_reg64(const char* name, uint64_t addr, uint64_t size)
{
    prop_cells(name, {uint32_t(addr >> 32), uint32_t(addr), uint32_t(size >> 32), uint32_t(size)});
}

void FdtWriter::prop_string(const char* name, std::string_view s) { prop_strings(name, {s}); }

void FdtWriter::prop_strings(const char* name, std::initializer_list<std::string_view> list)
{
    std::string joined;
    for (std::string_view s : list) {
        joined += s;
        joined += '\0';
    }
    prop_bytes(name, joined.data(), joined.size());
}

std::vector<uint8_t> FdtWriter::finish()
{
    end_node();  // root
    call("finish", [](void* fdt) { return fdt_finish(fdt); });
    buf_.resize(fdt_totalsize(buf_.data()));
    return std::move(buf_);
}

}  // namespace locklab
