# Third-party firmware (included from tests/guests/CMakeLists.txt): Debian's U-Boot for QEMU's virt
# board (package u-boot-qemu, the M-mode build) boots unchanged with -bios none -kernel uboot.elf,
# finds a boot script on a FAT partition of a virtio-blk disk, reads a file, checks its CRC32 and
# writes a copy (run_uboot.py checks the copy with mtools afterwards).
#
#   guest.uboot.<format>.<transport>.<placement>   locklab (mainloop, iothread)
#   guest.uboot.<format>.<transport>.qemu          qemu-system-riscv64 (main loop)
# Not in the tsan preset (label uboot excluded there), because of a U-Boot bug that TSan sees:
# U-Boot 2023.01 defines virtio_rmb() as an empty function (include/virtio_ring.h:310-325), so
# virtqueue_get_buf() (drivers/virtio/virtio_ring.c:179-189) reads used->idx and then goes on to
# the buffers with no FENCE: virtio_blk_do_req() reads the status byte (virtio_blk.c:52-55) and
# blkcache_fill() copies the data just read (blkcache.c:141). RVWMO does not order those loads
# after the used->idx load, so real hardware may read stale data; QEMU and locklab run guest loads
# in order (x86 hosts), so it works there, but a FENCE is what pairs the guest with a device's
# guest_ram_release() (memory/guest_ram_order.h), so TSan reports 2-4 races per boot. Built from
# Debian's source with virtio_rmb() as Linux's `fence r,r`, the same U-Boot is TSan-clean in all 8
# configurations. Evidence and the reports: tests/guests/README.md, "U-Boot under TSan".
set(LOCKLAB_UBOOT /usr/lib/u-boot/qemu-riscv64/uboot.elf CACHE FILEPATH "U-Boot for qemu-riscv64 (M-mode ELF)")
find_program(LOCKLAB_MKIMAGE mkimage)
find_program(LOCKLAB_MFORMAT mformat)
if(NOT Python3_Interpreter_FOUND OR NOT EXISTS ${LOCKLAB_UBOOT} OR NOT LOCKLAB_MKIMAGE OR NOT LOCKLAB_MFORMAT
   OR NOT LOCKLAB_QEMU_IMG)
  message(STATUS "U-Boot tests not run: need ${LOCKLAB_UBOOT}, mkimage, mtools and qemu-img "
                 "(apt install u-boot-qemu u-boot-tools mtools qemu-utils)")
  return()
endif()
set(_uboot_runner ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/run_uboot.py --uboot ${LOCKLAB_UBOOT} --timeout 90)
foreach(format raw qcow2)
  foreach(transport legacy modern)
    locklab_boot_disk_tests(uboot ${format} ${transport} "mainloop;iothread" "guest;virtio_blk;uboot" 120
                            ${_uboot_runner})
  endforeach()
endforeach()

# The usual QEMU boot chain: OpenSBI (package opensbi, generic fw_jump) in M-mode, the S-mode U-Boot
# it jumps to at 0x80200000 (-bios FILE -kernel u-boot.bin), the same script; poweroff through the
# SBI system-reset call.
#   guest.opensbi_uboot.<format>.<transport>.<placement|qemu>
set(LOCKLAB_UBOOT_SMODE /usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin CACHE FILEPATH "U-Boot for qemu-riscv64, S-mode")
if(NOT EXISTS ${LOCKLAB_OPENSBI} OR NOT EXISTS ${LOCKLAB_UBOOT_SMODE})
  message(STATUS "OpenSBI + U-Boot tests not run: need ${LOCKLAB_OPENSBI} (apt install opensbi)")
  return()
endif()
set(_sbi_runner ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/run_uboot.py --uboot ${LOCKLAB_UBOOT_SMODE}
    --bios ${LOCKLAB_OPENSBI} --timeout 90)
locklab_boot_disk_tests(opensbi_uboot raw legacy mainloop "guest;virtio_blk;uboot" 120 ${_sbi_runner})
locklab_boot_disk_tests(opensbi_uboot qcow2 modern iothread "guest;virtio_blk;uboot" 120 ${_sbi_runner})
