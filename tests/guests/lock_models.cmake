# Every lock model with every lock implementation (included from tests/guests/CMakeLists.txt): the
# guests that drive the board's devices from several harts, from interrupts and through hot-plug
# must pass unchanged under each, as guest.<name>.lock.<model>.<impl>. Plus one run where devices
# follow different models (--device-lock). locklab only: the options are locklab's.
if(NOT Python3_Interpreter_FOUND)
  return()
endif()

set(_lock_runner ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/run_guest.py --timeout 60)
set(_lock_machine -machine virt -nographic -bios none -m 128M)
# <guest>:<harts>; hotplug also gets its cold-plugged device and script (as in hotplug.cmake).
set(_lock_guests smp:4 interrupts:1 devices:1 hotplug:2)
set(_lock_models global per-device trylock-skip trylock-queue trylock-notify)
set(_lock_impls mutex queuing spin rfifo handoff)
# Sanitizer builds run each guest 10-50 times slower: there, every model once (mutex) and every
# implementation once (per-device, where device locks are taken) is the coverage that fits.
set(_lock_sanitized FALSE)
if(CMAKE_CXX_FLAGS MATCHES "-fsanitize=")
  set(_lock_sanitized TRUE)
endif()

foreach(model ${_lock_models})
  foreach(impl ${_lock_impls})
    if(_lock_sanitized AND NOT impl STREQUAL "mutex" AND NOT model STREQUAL "per-device")
      continue()
    endif()
    foreach(run ${_lock_guests})
      string(REPLACE ":" ";" run ${run})
      list(GET run 0 name)
      list(GET run 1 harts)
      set(extra "")
      if(name STREQUAL "hotplug")
        set(extra -device mmio-scratch,id=cold,slot=15 --hotplug-script ${CMAKE_CURRENT_SOURCE_DIR}/hotplug.script)
      endif()
      set(expected "")
      if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${name}.expected)
        set(expected --expected ${CMAKE_CURRENT_SOURCE_DIR}/${name}.expected)
      endif()
      add_test(NAME guest.${name}.lock.${model}.${impl}
               COMMAND ${_lock_runner} ${expected} -- $<TARGET_FILE:locklab> --lock-model ${model}
                       --lock-impl ${impl} ${_lock_machine} -smp ${harts} ${extra}
                       -kernel ${CMAKE_CURRENT_BINARY_DIR}/${name}.elf)
      set_tests_properties(guest.${name}.lock.${model}.${impl} PROPERTIES LABELS "guest;threads;lock_model" TIMEOUT 180)
    endforeach()
  endforeach()
endforeach()

# Mixed: the BQL for most devices, the hot CLINT on its own lock, the UART queueing its input work.
add_test(NAME guest.smp.lock.device_lock
         COMMAND ${_lock_runner} --expected ${CMAKE_CURRENT_SOURCE_DIR}/smp.expected -- $<TARGET_FILE:locklab>
                 --lock-model global --device-lock clint=per-device --device-lock serial=trylock-queue
                 ${_lock_machine} -smp 4 -kernel ${CMAKE_CURRENT_BINARY_DIR}/smp.elf)
set_tests_properties(guest.smp.lock.device_lock PROPERTIES LABELS "guest;threads;lock_model" TIMEOUT 180)
