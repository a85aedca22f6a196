#!/usr/bin/env bash
# Installs the Debian 12 packages locklab needs to build, test and run its guests.
# Idempotent: only packages that are missing are installed. Needs root (or sudo).
set -euo pipefail

PACKAGES=(
  # toolchain and build
  build-essential cmake ninja-build pkg-config git
  # libraries named in DESIGN.md
  catch2 libboost-thread-dev libboost-dev libtbb-dev liburcu-dev libfdt-dev
  libcli11-dev libfmt-dev nlohmann-json3-dev libbenchmark-dev
  # bare-metal guests and the reference emulator they are checked against
  gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf qemu-system-misc
  # block layer: qcow2 compressed clusters (zlib); qemu-img for image interop tests
  zlib1g-dev qemu-utils
  # third-party firmware run unchanged: U-Boot for QEMU's virt board, its script tool, FAT images, OpenSBI
  u-boot-qemu u-boot-tools mtools opensbi
  # a Linux guest built from source (scripts/build-linux-guest.sh): kernel tarball, its compiler,
  # flock, bc/bison/flex for Kbuild, ext2 images
  linux-source-6.1 gcc-riscv64-linux-gnu bc bison flex e2fsprogs util-linux
  # JIT backend (x86-64 emission) and its disassembly (-d out_asm)
  libxbyak-dev libcapstone-dev
  # fuzz targets (libFuzzer: clang and its compiler-rt, only a Recommends of clang)
  clang libclang-rt-dev
  # experiment plots
  python3 python3-numpy python3-matplotlib
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
