#include "cpu/tcg/code_buffer.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace locklab::rv::tcg {

CodeBuffer::CodeBuffer(size_t size) : size_(size)
{
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        throw std::runtime_error(std::string("jit: cannot map an executable code buffer: ") + std::strerror(errno));
    base_ = static_cast<uint8_t*>(p);
}

CodeBuffer::~CodeBuffer() { munmap(base_, size_); }

}  // namespace locklab::rv::tcg
