#!/usr/bin/env bash
# Quick start, step 2: the whole test suite — unit tests, guest programs on locklab and (where
# installed) on qemu-system-riscv64, and a short benchmark smoke run.
# Set LOCKLAB_SANITIZERS=1 to also run the asan preset and the tsan preset (threaded tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs=$(nproc)
cmake --preset release >/dev/null
cmake --build --preset release -j"$jobs"
ctest --preset release -j"$jobs"
if [ "${LOCKLAB_SANITIZERS:-0}" = 1 ]; then
  for p in asan tsan; do
    cmake --preset "$p" >/dev/null
    cmake --build --preset "$p" -j"$jobs"
    ctest --preset "$p" -j"$jobs"
  done
fi
