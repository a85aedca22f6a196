# Every dependency comes from a Debian 12 package (scripts/install-deps.sh installs them).
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(Catch2 2 REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS thread)
find_package(TBB REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(benchmark REQUIRED)
find_package(ZLIB REQUIRED)

if(NOT LOCKLAB_RCU_FALLBACK)
  pkg_check_modules(URCU REQUIRED IMPORTED_TARGET liburcu-memb)
endif()

# The JIT: Capstone disassembles the generated x86-64 (`-d out_asm`); Xbyak is header-only.
pkg_check_modules(CAPSTONE REQUIRED IMPORTED_TARGET capstone)
find_path(XBYAK_INCLUDE_DIR xbyak/xbyak.h REQUIRED)

find_path(FDT_INCLUDE_DIR libfdt.h REQUIRED)
find_library(FDT_LIBRARY fdt REQUIRED)
add_library(locklab_fdt INTERFACE)
target_include_directories(locklab_fdt INTERFACE ${FDT_INCLUDE_DIR})
target_link_libraries(locklab_fdt INTERFACE ${FDT_LIBRARY})

# Catch2 v2 ships no compiled main: build it once and share it between all test executables.
add_library(locklab_catch_main STATIC ${PROJECT_SOURCE_DIR}/tests/catch_main.cpp)
target_link_libraries(locklab_catch_main PUBLIC Catch2::Catch2)
include(Catch)

# locklab_add_tests(NAME sources... LIBS libs...) — one Catch2 executable, its cases registered in CTest.
function(locklab_add_tests name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE locklab_catch_main ${ARG_LIBS})
  locklab_warnings(${name})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  catch_discover_tests(${name} PROPERTIES LABELS "${ARG_LABELS}")
endfunction()
