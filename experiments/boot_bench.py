#!/usr/bin/env python3
"""Boot benchmark: Linux 6.1 from power-on to its /init's end marker, on locklab's JIT, its
interpreter and qemu-system-riscv64, in one run.

    python3 experiments/boot_bench.py [--runs N] [--build DIR] [--bios FW] [--qemu PATH | --no-qemu] [--no-interp]

The compute kernels (experiments/bench.py) run a few hundred blocks for seconds; a kernel boot runs
~20,000 distinct blocks a few times each, so it measures what they do not: translation cost, the
paged (Sv39) memory path, traps and device access. The guest is the one of the guest.linux.* tests
(tests/guests/run_linux.py): OpenSBI fw_jump, the kernel, a 32 MiB ext2 root on virtio-blk (main
loop, raw, legacy virtio-mmio) whose /init reads a file, writes a copy, syncs and powers off.

Prints per emulator the median wall-clock seconds from start to exit and the median user+system
CPU seconds over --runs runs (default 5; a fresh copy of the disk each run), the ratios to QEMU,
and for locklab's JIT its translation figures (blocks, guest instructions, host bytes, translation
time: `--stats`). Every run must print init's end marker and exit 0.

Needs what the Linux guest tests need (linux-source-6.1, gcc-riscv64-linux-gnu, e2fsprogs,
opensbi); the kernel is built by scripts/build-linux-guest.sh into BUILD/linux-guest (the guest
tests' build does that; this script runs it too, which returns at once when up to date).

Exit status: 0 when every run passed, 1 otherwise, 2 on bad usage.
"""

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "guests"))
from boot_disk import data_bytes  # noqa: E402  (the guest tests' data file)

BUILD_GUEST = os.path.join(REPO, "scripts", "build-linux-guest.sh")
OPENSBI = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf"
MARKER = "LINUX-INIT-DONE"
STATS_RE = re.compile(r"^locklab-stats: (\{.*\})$", re.M)


class BenchError(Exception):
    pass


def make_rootfs(guest_dir, tmp):
    root = os.path.join(tmp, "root")
    os.makedirs(os.path.join(root, "dev"))
    with open(os.path.join(root, "data.bin"), "wb") as f:
        f.write(data_bytes())
    shutil.copy(os.path.join(guest_dir, "init"), os.path.join(root, "init"))
    os.chmod(os.path.join(root, "init"), 0o755)
    image = os.path.join(tmp, "rootfs.img")
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-d", root, image, "32M"], check=True,
                   capture_output=True)
    return image


def boot_once(cmd, image, tmp, timeout):
    """(wall seconds, CPU seconds, output) of one boot from a fresh copy of the disk."""
    disk = os.path.join(tmp, "disk.img")
    shutil.copy(image, disk)
    full = cmd + ["-drive", f"file={disk},if=none,format=raw,id=d0", "-device", "virtio-blk-device,drive=d0"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    try:
        p = subprocess.run(full, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{cmd[0]}: no end marker within {timeout:.0f} s")
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    out = p.stdout + p.stderr
    if p.returncode != 0 or MARKER not in out:
        raise BenchError(f"{cmd[0]}: exit status {p.returncode}, end marker "
                         f"{'seen' if MARKER in out else 'missing'}; output ends with:\n{out[-1500:]}")
    return wall, cpu, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="boots per emulator")
    parser.add_argument("--build", default=os.path.join(REPO, "build", "release"),
                        help="build directory (default: build/release)")
    parser.add_argument("--locklab", help="locklab binary (default: BUILD/system/locklab)")
    parser.add_argument("--qemu", default=shutil.which("qemu-system-riscv64"),
                        help="qemu-system-riscv64 (default: from PATH)")
    parser.add_argument("--no-qemu", action="store_true", help="run locklab only")
    parser.add_argument("--no-interp", dest="interp", action="store_false",
                        help="skip locklab's interpreter")
    parser.add_argument("--bios", default=OPENSBI, help=f"OpenSBI fw_jump.elf (default: {OPENSBI})")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per boot")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    locklab = args.locklab or os.path.join(args.build, "system", "locklab")
    guest_dir = os.path.join(args.build, "linux-guest")
    for path, what in ((locklab, "locklab (build it, or pass --build/--locklab)"), (args.bios, "OpenSBI (opensbi)")):
        if not os.path.exists(path):
            print(f"boot_bench: {what} not found at {path}", file=sys.stderr)
            return 1
    build = subprocess.run(["bash", BUILD_GUEST, guest_dir], capture_output=True, text=True)
    if build.returncode != 0:
        print(f"boot_bench: {BUILD_GUEST} failed:\n{(build.stdout + build.stderr)[-1500:]}", file=sys.stderr)
        return 1

    machine = ["-machine", "virt", "-nographic", "-m", "256M", "-bios", args.bios,
               "-kernel", os.path.join(guest_dir, "Image"),
               "-append", "console=ttyS0 root=/dev/vda rw init=/init"]
    emulators = [("locklab JIT", [locklab, "--accel", "jit", "--stats"] + machine)]
    if args.interp:
        emulators.append(("locklab interp", [locklab, "--accel", "interp"] + machine))
    if args.qemu and not args.no_qemu:
        emulators.append(("QEMU TCG", [args.qemu] + machine))

    rows = {name: {"wall": [], "cpu": []} for name, _ in emulators}
    jit_stats = []
    try:
        with tempfile.TemporaryDirectory(prefix="boot_bench.") as tmp:
            image = make_rootfs(guest_dir, tmp)
            for _ in range(args.runs):  # interleaved: host load drifts alike for every emulator
                for name, cmd in emulators:
                    wall, cpu, out = boot_once(cmd, image, tmp, args.timeout)
                    rows[name]["wall"].append(wall)
                    rows[name]["cpu"].append(cpu)
                    m = STATS_RE.search(out)
                    if "--stats" in cmd and m:
                        jit_stats.append(json.loads(m[1])["harts"][0].get("jit", {}))
    except BenchError as exc:
        print(f"boot_bench: {exc}", file=sys.stderr)
        return 1

    qemu = rows.get("QEMU TCG")
    print(f"{'emulator':<16} {'wall s':>8} {'CPU s':>8} {'wall/QEMU':>10} {'CPU/QEMU':>9}")
    for name, r in rows.items():
        wall, cpu = statistics.median(r["wall"]), statistics.median(r["cpu"])
        ratio = (f"{wall / statistics.median(qemu['wall']):10.2f} {cpu / statistics.median(qemu['cpu']):9.2f}"
                 if qemu else f"{'-':>10} {'-':>9}")
        print(f"{name:<16} {wall:8.2f} {cpu:8.2f} {ratio}")
    if jit_stats:
        def med(key):
            return statistics.median(s.get(key, 0) for s in jit_stats)
        insns = med("guest_insns")
        print(f"locklab JIT, hart 0: {med('blocks'):.0f} blocks translated ({insns:.0f} guest instructions, "
              f"{med('host_bytes') / 2**20:.1f} MiB of host code, {med('flushes'):.0f} flushes), translation "
              f"{med('translate_ns') / 1e9:.2f} s = {med('translate_ns') / max(insns, 1):.0f} ns per guest instruction")
    print(f"(medians of {args.runs} run(s), interleaved; CPU = user + system of the emulator process; "
          "translation time is wall time inside the vCPU thread)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"runs": args.runs, "emulators": rows, "jit_stats": jit_stats}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
