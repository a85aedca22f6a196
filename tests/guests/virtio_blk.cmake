# virtio-blk guests (included from tests/guests/CMakeLists.txt): the guest's own virtio-mmio driver
# (common/virtio_mmio.c, common/vblk.c) on disk images prepared and checked with qemu-img by
# run_disk_guest.py, and the crash-safety storm (blk_crash.py).
#
#   guest.virtio_blk.<format>.<transport>.smp<harts>.<placement>   locklab
#   guest.virtio_blk.<format>.<transport>.smp<harts>.qemu          qemu-system-riscv64 (main loop:
#       QEMU 7.2 refuses iothread= on virtio-mmio under TCG, "ioeventfd is required for iothread")
#   guest.virtio_blk.interop.<first>_then_<second>.<format>        one image, both emulators in turn
#   guest.virtio_blk_bad.<transport>[.iothread|.qemu]              rule-breaking requests
#   guest.blk_crash                                                 SIGKILL during a write storm
# format: raw, qcow2 (v3), qcow2v2 (compat=0.10), qcow2-backing (an empty overlay on a relative
# "base.qcow2"); transport: legacy (QEMU's default) or modern (force-legacy=false), legacy on slot 0
# and modern on slot 7 so the guest's slot scan is exercised at both ends.
set(_vblk_sources virtio_blk.c common/virtio_mmio.c common/vblk.c)
locklab_add_guest(virtio_blk SOURCES ${_vblk_sources})
locklab_add_guest(virtio_blk_smp SOURCES ${_vblk_sources} DEFINES -DVBLK_HARTS=4)
locklab_add_guest(virtio_blk_bad SOURCES virtio_blk_bad.c common/virtio_mmio.c common/vblk.c)
locklab_add_guest(blk_storm SOURCES blk_storm.c common/virtio_mmio.c common/vblk.c)
if(NOT Python3_Interpreter_FOUND)
  return()
endif()
find_program(LOCKLAB_QEMU_IMG qemu-img)
if(NOT LOCKLAB_QEMU_IMG)
  message(STATUS "qemu-img not found: virtio-blk guests are built but not run (apt install qemu-utils)")
  return()
endif()

set(_vblk_runner ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/run_disk_guest.py --timeout 60)
foreach(format raw qcow2 qcow2v2 qcow2-backing)
  foreach(transport legacy modern)
    if(transport STREQUAL "legacy")
      set(slot 0)
    else()
      set(slot 7)
    endif()
    foreach(harts 1 4)
      set(elf ${CMAKE_CURRENT_BINARY_DIR}/virtio_blk.elf)
      set(labels guest virtio_blk)
      if(harts GREATER 1)
        set(elf ${CMAKE_CURRENT_BINARY_DIR}/virtio_blk_smp.elf)
        list(APPEND labels threads)
      endif()
      set(name guest.virtio_blk.${format}.${transport}.smp${harts})
      set(args --elf ${elf} --format ${format} --transport ${transport} --smp ${harts} --slot ${slot})
      add_test(NAME ${name}.mainloop COMMAND ${_vblk_runner} ${args} -- $<TARGET_FILE:locklab>)
      add_test(NAME ${name}.iothread COMMAND ${_vblk_runner} ${args} --iothread -- $<TARGET_FILE:locklab>)
      set_tests_properties(${name}.mainloop ${name}.iothread PROPERTIES LABELS "${labels}" TIMEOUT 180)
      if(LOCKLAB_QEMU)
        add_test(NAME ${name}.qemu COMMAND ${_vblk_runner} ${args} -- ${LOCKLAB_QEMU})
        set_tests_properties(${name}.qemu PROPERTIES LABELS "${labels};qemu" TIMEOUT 180)
      endif()
    endforeach()
  endforeach()
endforeach()

# A guest that breaks the virtqueue rules (descriptor loop, buffer outside RAM, bad indirect
# table, over-long chain): no crash, no hang, no success where QEMU reports an error, recovery
# after a reset; the disk must stay unchanged.
foreach(transport legacy modern)
  set(name guest.virtio_blk_bad.${transport})
  set(args --elf ${CMAKE_CURRENT_BINARY_DIR}/virtio_blk_bad.elf --format qcow2 --transport ${transport}
           --slot 1 --no-writes)
  add_test(NAME ${name} COMMAND ${_vblk_runner} ${args} -- $<TARGET_FILE:locklab>)
  add_test(NAME ${name}.iothread COMMAND ${_vblk_runner} ${args} --iothread -- $<TARGET_FILE:locklab>)
  set_tests_properties(${name} ${name}.iothread PROPERTIES LABELS "guest;virtio_blk" TIMEOUT 180)
  if(LOCKLAB_QEMU)
    add_test(NAME ${name}.qemu COMMAND ${_vblk_runner} ${args} -- ${LOCKLAB_QEMU})
    set_tests_properties(${name}.qemu PROPERTIES LABELS "guest;virtio_blk;qemu" TIMEOUT 180)
  endif()
endforeach()

# Interop: the image one emulator wrote is read (digest) and written again by the other.
if(LOCKLAB_QEMU)
  foreach(format qcow2 qcow2-backing)
    set(args --elf ${CMAKE_CURRENT_BINARY_DIR}/virtio_blk.elf --format ${format} --transport modern)
    add_test(NAME guest.virtio_blk.interop.qemu_then_locklab.${format}
             COMMAND ${_vblk_runner} ${args} --then $<TARGET_FILE:locklab> -- ${LOCKLAB_QEMU})
    add_test(NAME guest.virtio_blk.interop.locklab_then_qemu.${format}
             COMMAND ${_vblk_runner} ${args} --then ${LOCKLAB_QEMU} -- $<TARGET_FILE:locklab>)
    set_tests_properties(guest.virtio_blk.interop.qemu_then_locklab.${format}
                         guest.virtio_blk.interop.locklab_then_qemu.${format}
                         PROPERTIES LABELS "guest;virtio_blk;qemu" TIMEOUT 180)
  endforeach()
endif()

# Crash safety: a short run here (blk_crash.py --iterations N for more).
add_test(NAME guest.blk_crash
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/blk_crash.py --iterations 5
                 --elf ${CMAKE_CURRENT_BINARY_DIR}/blk_storm.elf --locklab $<TARGET_FILE:locklab>)
set_tests_properties(guest.blk_crash PROPERTIES LABELS "guest;virtio_blk;crash" TIMEOUT 300)
if(LOCKLAB_QEMU)  # the harness against QEMU's block layer: it must pass there too
  add_test(NAME guest.blk_crash.qemu
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/blk_crash.py --iterations 5
                   --elf ${CMAKE_CURRENT_BINARY_DIR}/blk_storm.elf --emulator ${LOCKLAB_QEMU})
  set_tests_properties(guest.blk_crash.qemu PROPERTIES LABELS "guest;virtio_blk;crash;qemu" TIMEOUT 300)
endif()
