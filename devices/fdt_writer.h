// FdtWriter: builds a flattened device tree front to back with libfdt's sequential-write API, growing
// its buffer as needed and turning libfdt errors into exceptions. Nodes must be closed in order;
// finish() closes the root and returns the blob.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace locklab {

class FdtWriter {
public:
    FdtWriter();  // an empty tree with its root node open

    void begin_node(const std::string& name);
    void end_node();

    void prop_empty(const char* name);                               // e.g. "interrupt-controller"
    void prop_u32(const char* name, uint32_t v);
    void prop_cells(const char* name, const std::vector<uint32_t>& cells);  // big-endian cells
    void prop_reg64(const char* name, uint64_t addr, uint64_t size);  // <addr-hi addr-lo size-hi size-lo>
    void prop_string(const char* name, std::string_view s);
    void prop_strings(const char* name, std::initializer_list<std::string_view> list);  // "a\0b\0"

    std::vector<uint8_t> finish();  // closes the root; the writer is spent afterwards

private:
    template <class Op>
    void call(const char* what, Op op);  // runs op(fdt), growing the buffer on FDT_ERR_NOSPACE
    void prop_bytes(const char* name, const void* data, size_t len);

    std::vector<uint8_t> buf_;
};

}  // namespace locklab
