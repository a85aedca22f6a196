# Building bare-metal guests with riscv64-unknown-elf-gcc (not a CMake toolchain: the host build
# stays native). Used by tests/guests and experiments/bench.
#
#   locklab_add_guest(<name> SOURCES <files...> [DEFINES <-Dx=y...>])
# builds ${CMAKE_CURRENT_BINARY_DIR}/<name>.elf from the sources plus the shared runtime (crt0,
# trap entry, printf, checks), linked at 0x80000000 by link.ld, and appends the ELF's path to the
# variable LOCKLAB_GUEST_ELFS in the caller's scope (for an add_custom_target(... DEPENDS ...)).
# The runtime is compiled into each guest (a few small files) so no guest depends on a file built
# in another directory.
include_guard(DIRECTORY)

find_program(LOCKLAB_GUEST_CC riscv64-unknown-elf-gcc)
set(LOCKLAB_GUEST_COMMON_DIR ${CMAKE_CURRENT_LIST_DIR})
set(LOCKLAB_GUEST_RUNTIME
    ${CMAKE_CURRENT_LIST_DIR}/crt0.S ${CMAKE_CURRENT_LIST_DIR}/trap_entry.S
    ${CMAKE_CURRENT_LIST_DIR}/trap.c ${CMAKE_CURRENT_LIST_DIR}/print.c
    ${CMAKE_CURRENT_LIST_DIR}/runtime.c)
set(LOCKLAB_GUEST_CFLAGS
    -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany -ffreestanding -nostdlib
    -fno-pic -O2 -g -std=gnu17 -Wall -Wextra -Wl,--no-warn-rwx-segments)
if(LOCKLAB_WERROR)
  list(APPEND LOCKLAB_GUEST_CFLAGS -Werror)
endif()
# libgcc (helpers such as 128-bit division) from the rv64imac/lp64 multilib: with the _zicsr_zifencei
# suffix gcc 12 no longer matches that multilib and -lgcc would pick the default rv64imafdc/lp64d one.
if(LOCKLAB_GUEST_CC)
  execute_process(COMMAND ${LOCKLAB_GUEST_CC} -march=rv64imac -mabi=lp64 -print-libgcc-file-name
                  OUTPUT_VARIABLE LOCKLAB_GUEST_LIBGCC OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()

function(locklab_add_guest name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEFINES" ${ARGN})
  set(elf ${CMAKE_CURRENT_BINARY_DIR}/${name}.elf)
  list(TRANSFORM ARG_SOURCES PREPEND ${CMAKE_CURRENT_SOURCE_DIR}/)
  file(GLOB headers CONFIGURE_DEPENDS ${LOCKLAB_GUEST_COMMON_DIR}/*.h)
  add_custom_command(
    OUTPUT ${elf}
    COMMAND ${LOCKLAB_GUEST_CC} ${LOCKLAB_GUEST_CFLAGS} "-DGUEST_NAME=\"${name}\"" ${ARG_DEFINES}
            -I${LOCKLAB_GUEST_COMMON_DIR} -T ${LOCKLAB_GUEST_COMMON_DIR}/link.ld
            ${LOCKLAB_GUEST_RUNTIME} ${ARG_SOURCES} ${LOCKLAB_GUEST_LIBGCC} -o ${elf}
    DEPENDS ${ARG_SOURCES} ${LOCKLAB_GUEST_RUNTIME} ${headers} ${LOCKLAB_GUEST_COMMON_DIR}/link.ld
    COMMENT "Building guest ${name}.elf"
    VERBATIM)
  set(LOCKLAB_GUEST_ELFS ${LOCKLAB_GUEST_ELFS} ${elf} PARENT_SCOPE)
endfunction()
