#!/usr/bin/env bash
# Quick start, step 1: install what is missing, build (release), and run the demo guest:
# four harts drawing the Mandelbrot set together on the emulated UART.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)"
echo
echo "== demo: locklab -machine virt -nographic -bios none -smp 4 -kernel build/release/tests/guests/demo.elf"
./build/release/system/locklab -machine virt -nographic -bios none -smp 4 -m 128M \
    -kernel build/release/tests/guests/demo.elf
