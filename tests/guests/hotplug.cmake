# The hot-plug guest (hotplug.c; included from tests/guests/CMakeLists.txt). locklab only: QEMU's
# virt has no hot-plug controller. It runs with a cold-plugged device and hotplug.script, on two
# harts (the second parks in WFI: removals must not wait for it to wake on its own), with one vCPU
# thread per hart and, twice with identical output, under --threads single.
locklab_add_guest(hotplug SOURCES hotplug.c)
if(NOT Python3_Interpreter_FOUND)
  return()
endif()
set(_hotplug_machine -machine virt -nographic -bios none -smp 2 -m 128M
                     -device mmio-scratch,id=cold,slot=15
                     --hotplug-script ${CMAKE_CURRENT_SOURCE_DIR}/hotplug.script
                     -kernel ${CMAKE_CURRENT_BINARY_DIR}/hotplug.elf)
set(_hotplug_runner ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/run_guest.py --timeout 60)
add_test(NAME guest.hotplug COMMAND ${_hotplug_runner} -- $<TARGET_FILE:locklab> ${_hotplug_machine})
add_test(NAME guest.hotplug.single
         COMMAND ${_hotplug_runner} --runs 2 -- $<TARGET_FILE:locklab> --threads single ${_hotplug_machine})
set_tests_properties(guest.hotplug guest.hotplug.single PROPERTIES LABELS "guest;threads;hotplug" TIMEOUT 180)
