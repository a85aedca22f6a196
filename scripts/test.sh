#!/usr/bin/env bash
# Quick start, step 2: the whole test suite — unit tests, guest programs on locklab and (where
# installed) on qemu-system-riscv64, a short benchmark smoke run and a short fuzzing run.
# Set LOCKLAB_SANITIZERS=1 to also run the asan preset and the tsan preset (threaded tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs=$(nproc)
cmake --preset release >/dev/null
cmake --build --preset release -j"$jobs"
ctest --preset release -j"$jobs"
# A short libFuzzer run of each fuzz target (qcow2 metadata parser, virtqueue descriptor walker),
# built with clang; LOCKLAB_FUZZ_SECONDS (default 20) per target. The seed corpora are also
# replayed by the release build above (fuzz.*.replay).
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j"$jobs"
ctest --preset fuzz
if [ "${LOCKLAB_SANITIZERS:-0}" = 1 ]; then
  for p in asan tsan; do
    cmake --preset "$p" >/dev/null
    cmake --build --preset "$p" -j"$jobs"
    ctest --preset "$p" -j"$jobs"
  done
fi
