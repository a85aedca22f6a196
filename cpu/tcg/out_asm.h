// `-d out_asm`: the host code of a translated block, disassembled by Capstone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace locklab::rv::tcg {

// One line per instruction: "  0x7f...: mov rax, qword ptr [rbp + 0x128]".
std::string disassemble_host(const uint8_t* code, size_t size);

}  // namespace locklab::rv::tcg
