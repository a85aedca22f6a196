# Linux (included from tests/guests/CMakeLists.txt): a 6.1 kernel built from Debian's
# linux-source-6.1 (scripts/build-linux-guest.sh, into ${CMAKE_BINARY_DIR}/linux-guest, kept
# between runs; the first test to run builds it, ~3-5 min) boots under OpenSBI, mounts its ext2 root
# from a virtio-blk disk and runs a small init that reads a file and writes a copy.
#   guest.linux.<format>.<transport>.<placement|qemu>
find_program(LOCKLAB_RISCV_LINUX_GCC riscv64-linux-gnu-gcc)
find_program(LOCKLAB_MKE2FS mke2fs PATHS /usr/sbin /sbin)
find_program(LOCKLAB_DEBUGFS debugfs PATHS /usr/sbin /sbin)
if(NOT EXISTS /usr/src/linux-source-6.1.tar.xz OR NOT LOCKLAB_RISCV_LINUX_GCC OR NOT LOCKLAB_MKE2FS
   OR NOT LOCKLAB_DEBUGFS OR NOT EXISTS ${LOCKLAB_OPENSBI})
  message(STATUS "Linux guest tests not run: need linux-source-6.1, gcc-riscv64-linux-gnu, e2fsprogs, opensbi")
  return()
endif()
set(_linux_runner ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/run_linux.py
    --guest-dir ${CMAKE_BINARY_DIR}/linux-guest --bios ${LOCKLAB_OPENSBI} --timeout 120)
locklab_boot_disk_tests(linux raw legacy mainloop "guest;virtio_blk;linux" 900 ${_linux_runner})
locklab_boot_disk_tests(linux qcow2 modern iothread "guest;virtio_blk;linux" 900 ${_linux_runner})
# Smoke run of the boot benchmark (experiments/boot_bench.py): one boot on locklab's JIT and on QEMU
# when installed. After the Linux tests, which build the kernel.
add_test(NAME bench.boot_quick
         COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/experiments/boot_bench.py --runs 1 --no-interp
                 --build ${CMAKE_BINARY_DIR} --bios ${LOCKLAB_OPENSBI} --locklab $<TARGET_FILE:locklab>)
set_tests_properties(bench.boot_quick PROPERTIES LABELS "bench" TIMEOUT 600 RUN_SERIAL TRUE)
