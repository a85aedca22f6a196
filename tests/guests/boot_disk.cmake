# The M-mode firmware the OpenSBI + U-Boot and the Linux tests boot under.
set(LOCKLAB_OPENSBI /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf CACHE FILEPATH "OpenSBI fw_jump (ELF)")

# locklab_boot_disk_tests(PREFIX FORMAT TRANSPORT PLACEMENTS LABELS TIMEOUT RUNNER...): the tests of
# one disk configuration for third-party software booted with a virtio-blk disk (run_uboot.py,
# run_linux.py, sharing boot_disk.py): guest.PREFIX.FORMAT.TRANSPORT.<placement> on locklab for
# each placement in PLACEMENTS (mainloop, iothread) on the interpreter, .jit on locklab's JIT (the
# first placement), and .qemu on qemu-system-riscv64 (main loop only: QEMU 7.2 refuses iothread= on
# virtio-mmio under TCG). RUNNER takes --format, --transport, --iothread, then `-- EMULATOR [OPTIONS]`.
function(locklab_boot_disk_tests prefix format transport placements labels timeout)
  set(name guest.${prefix}.${format}.${transport})
  set(opts --format ${format} --transport ${transport})
  foreach(placement IN LISTS placements)
    set(where)
    if(placement STREQUAL "iothread")
      set(where --iothread)
    endif()
    add_test(NAME ${name}.${placement} COMMAND ${ARGN} ${opts} ${where} -- $<TARGET_FILE:locklab> --accel interp)
    set_tests_properties(${name}.${placement} PROPERTIES LABELS "${labels}" TIMEOUT ${timeout})
  endforeach()
  list(GET placements 0 first)
  set(where)
  if(first STREQUAL "iothread")
    set(where --iothread)
  endif()
  add_test(NAME ${name}.jit COMMAND ${ARGN} ${opts} ${where} -- $<TARGET_FILE:locklab> --accel jit)
  set_tests_properties(${name}.jit PROPERTIES LABELS "${labels};jit" TIMEOUT ${timeout})
  if(LOCKLAB_QEMU)
    add_test(NAME ${name}.qemu COMMAND ${ARGN} ${opts} -- ${LOCKLAB_QEMU})
    set_tests_properties(${name}.qemu PROPERTIES LABELS "${labels};qemu" TIMEOUT ${timeout})
  endif()
endfunction()
