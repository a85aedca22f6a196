#include "cpu/tcg/out_asm.h"

#include <capstone/capstone.h>
#include <fmt/format.h>

namespace locklab::rv::tcg {

std::string disassemble_host(const uint8_t* code, size_t size)
{
    csh handle;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) return "  (capstone unavailable)\n";
    cs_insn* insn = nullptr;
    const size_t n = cs_disasm(handle, code, size, reinterpret_cast<uintptr_t>(code), 0, &insn);
    std::string out;
    for (size_t i = 0; i < n; ++i)
        out += fmt::format("  {:#x}: {} {}\n", insn[i].address, insn[i].mnemonic, insn[i].op_str);
    if (n) cs_free(insn, n);
    cs_close(&handle);
    return out;
}

}  // namespace locklab::rv::tcg
