function(locklab_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wnon-virtual-dtor
                                           -Wno-missing-field-initializers)
  # -Wshadow=local is GCC's; clang (the fuzz preset) spells the same check -Wshadow-uncaptured-local.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wshadow=local)
  else()
    target_compile_options(${target} PRIVATE -Wshadow-uncaptured-local)
  endif()
  # GCC 12's -O3 flow warnings give false positives inside libstdc++ (std::string, vector::insert;
  # GCC bugs 105329, 105651). ASan/UBSan builds check the same class of bug for real.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict -Wno-array-bounds -Wno-stringop-overflow)
  endif()
  if(LOCKLAB_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
