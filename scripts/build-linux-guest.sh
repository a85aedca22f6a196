#!/usr/bin/env bash
# Builds the Linux guest of tests/guests/linux into OUTDIR: a small riscv64 kernel (Image) from
# Debian's linux-source-6.1 with tests/guests/linux/locklab.config merged into tinyconfig, and the
# static rv64imac init (raw system calls, no libc). Kept between runs: rebuilt only when the config,
# the init source or the kernel tarball change. Takes ~3-5 min on 2 cores the first time.
#   scripts/build-linux-guest.sh OUTDIR
set -euo pipefail
out=${1:?usage: build-linux-guest.sh OUTDIR}
here=$(cd "$(dirname "$0")/.." && pwd)
tarball=${LOCKLAB_LINUX_TARBALL:-$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null || true)}
[ -n "$tarball" ] || { echo "build-linux-guest: no /usr/src/linux-source-6.1.tar.xz (apt install linux-source-6.1)" >&2; exit 1; }
command -v riscv64-linux-gnu-gcc >/dev/null || { echo "build-linux-guest: no riscv64-linux-gnu-gcc (apt install gcc-riscv64-linux-gnu)" >&2; exit 1; }
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9  # one build at a time (parallel tests share it)
stamp=$(cat "$here/tests/guests/linux/locklab.config" "$here/tests/guests/linux/init.c" | sha256sum | cut -c1-16)-$(stat -c %s-%Y "$tarball")
if [ -f "$out/Image" ] && [ -f "$out/init" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then exit 0; fi
riscv64-unknown-elf-gcc -march=rv64imac_zicsr -mabi=lp64 -static -nostdlib -O2 -ffreestanding -fno-pic \
  -Wl,-Ttext=0x10000 -o "$out/init" "$here/tests/guests/linux/init.c"
src="$out/src"
if [ ! -d "$src/linux-source-6.1" ]; then
  rm -rf "$src" && mkdir -p "$src"
  tar -xf "$tarball" -C "$src"
fi
k="$src/linux-source-6.1"
make_k() { make -C "$k" ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu- "$@"; }
make_k -s tinyconfig
(cd "$k" && ./scripts/kconfig/merge_config.sh -m -O . .config "$here/tests/guests/linux/locklab.config" >/dev/null 2>&1)
make_k -s olddefconfig
make_k -s -j"$(nproc)" Image
cp "$k/arch/riscv/boot/Image" "$out/Image"
echo "$stamp" > "$out/stamp"
