# Lock-order validator checks on real runs (included from tests/guests/CMakeLists.txt):
#  - guest.lockdep_demo.lockdep[_abort]: the lockdep demo device and guest (devices/lockdep_demo.h)
#    take two lock classes in opposite orders; `--lockdep` must report exactly that cycle and let
#    the guest pass, `--lockdep=abort` must report it and abort.
#  - guest.<name>.lockdep.<model>: the normal board, under every lock model, must report no cycle.
locklab_add_guest(lockdep_demo SOURCES lockdep_demo.c)
if(NOT Python3_Interpreter_FOUND)
  return()
endif()

set(_lockdep_check ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/lockdep_check.py --timeout 60)
set(_lockdep_machine -machine virt -nographic -bios none -m 128M)
set(_demo_classes lockdep-demo.state,lockdep-demo.backend)

add_test(NAME guest.lockdep_demo.lockdep
         COMMAND ${_lockdep_check} --cycles 1 --classes ${_demo_classes} -- $<TARGET_FILE:locklab>
                 --lockdep --lockdep-demo ${_lockdep_machine} -smp 1
                 -kernel ${CMAKE_CURRENT_BINARY_DIR}/lockdep_demo.elf)
add_test(NAME guest.lockdep_demo.lockdep_abort
         COMMAND ${_lockdep_check} --abort --classes ${_demo_classes} -- $<TARGET_FILE:locklab>
                 --lockdep=abort --lockdep-demo ${_lockdep_machine} -smp 1
                 -kernel ${CMAKE_CURRENT_BINARY_DIR}/lockdep_demo.elf)
set_tests_properties(guest.lockdep_demo.lockdep guest.lockdep_demo.lockdep_abort PROPERTIES LABELS guest TIMEOUT 180)

# The normal board under every lock model: <guest>:<harts>.
set(_lockdep_models global per-device trylock-skip trylock-queue trylock-notify)
foreach(model ${_lockdep_models})
  foreach(run smp:4 demo:4 devices:1 interrupts:1 hello:2)
    string(REPLACE ":" ";" run ${run})
    list(GET run 0 name)
    list(GET run 1 harts)
    set(labels guest)
    if(harts GREATER 1)
      list(APPEND labels threads)
    endif()
    add_test(NAME guest.${name}.lockdep.${model}
             COMMAND ${_lockdep_check} --cycles 0 -- $<TARGET_FILE:locklab> --lockdep --lock-model ${model}
                     ${_lockdep_machine} -smp ${harts} -kernel ${CMAKE_CURRENT_BINARY_DIR}/${name}.elf)
    set_tests_properties(guest.${name}.lockdep.${model} PROPERTIES LABELS "${labels}" TIMEOUT 180)
  endforeach()
endforeach()
