# Disassembler round-trip fixtures for test_cpu (included from tests/CMakeLists.txt).
#
# When the RISC-V cross binutils are installed, each tests/cpu/data/<name>.S is assembled, its code
# extracted as a raw binary and disassembled with `objdump -D -b binary -M no-aliases` into
# <build>/tests/cpu_fixtures/<name>.dump; test_disasm_objdump.cpp compares locklab's decoder and
# disassembler with every line. Without binutils those test cases are not compiled.
find_program(LOCKLAB_RISCV_AS riscv64-unknown-elf-as)
find_program(LOCKLAB_RISCV_OBJCOPY riscv64-unknown-elf-objcopy)
find_program(LOCKLAB_RISCV_OBJDUMP riscv64-unknown-elf-objdump)

if(NOT TARGET test_cpu)
  return()
endif()
if(NOT (LOCKLAB_RISCV_AS AND LOCKLAB_RISCV_OBJCOPY AND LOCKLAB_RISCV_OBJDUMP))
  message(STATUS "riscv64-unknown-elf binutils not found: disassembler round trip against objdump skipped")
  return()
endif()

set(_fixture_dir ${CMAKE_CURRENT_BINARY_DIR}/cpu_fixtures)
set(_dumps)
foreach(name all_insns csr_sweep rvc_all rv64_fields)
  set(_src ${CMAKE_CURRENT_SOURCE_DIR}/cpu/data/${name}.S)
  set(_dump ${_fixture_dir}/${name}.dump)
  add_custom_command(
    OUTPUT ${_dump}
    COMMAND ${CMAKE_COMMAND} -DAS=${LOCKLAB_RISCV_AS} -DOBJCOPY=${LOCKLAB_RISCV_OBJCOPY}
            -DOBJDUMP=${LOCKLAB_RISCV_OBJDUMP} -DSOURCE=${_src} -DOUTPUT=${_dump}
            -P ${CMAKE_CURRENT_SOURCE_DIR}/cpu/objdump_fixture.cmake
    DEPENDS ${_src} ${CMAKE_CURRENT_SOURCE_DIR}/cpu/objdump_fixture.cmake
    COMMENT "objdump fixture ${name}.dump"
    VERBATIM)
  list(APPEND _dumps ${_dump})
endforeach()

add_custom_target(cpu_objdump_fixtures DEPENDS ${_dumps})
add_dependencies(test_cpu cpu_objdump_fixtures)
target_compile_definitions(test_cpu PRIVATE LOCKLAB_OBJDUMP_FIXTURES="${_fixture_dir}")
