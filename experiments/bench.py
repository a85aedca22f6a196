#!/usr/bin/env python3
"""Compute benchmark: locklab's interpreter and JIT against QEMU TCG on the kernels in experiments/bench.

    python3 experiments/bench.py [--runs N] [--quick] [--build DIR] [--qemu PATH | --no-qemu] [--no-jit] [--no-jit-tlb]

Prints one row per kernel: guest instructions of the kernel, MIPS of locklab's interpreter, of its
JIT (--accel jit), of the JIT with every memory access through the softmmu TLB (--jit-ram-window
off: what QEMU does; the default JIT loads M-mode data from RAM after a bounds compare) and of
QEMU, the interpreter/QEMU, JIT/QEMU and JIT-TLB/QEMU ratios (medians of --runs runs, default 3),
and the JIT's translation cost per guest instruction translated; then the geometric means of the
ratios.

Method
- Each kernel guest (experiments/bench/<kernel>.c, single hart) times only its kernel, reading
  the time CSR (the virt board's 10 MHz timebase) before and after, and prints
  `bench <kernel> scale=<n> ticks=<t> checksum=0x<c>`.
- The kernel's instruction count comes from locklab: `--stats` prints hart 0's retired
  instructions for the whole run (stderr, `locklab-stats: {json}`). The same count for the
  kernel's scale-0 build (bench_<kernel>_zero.elf: boot, set-up and printing, no kernel work) is
  subtracted. The kernels are deterministic single-hart code, so the count holds on QEMU too
  (QEMU 7.2 cannot count instructions without -icount: its minstret follows host cycles).
- MIPS of a run = kernel instructions / (ticks / 10 MHz) / 1e6. The ratio is locklab / QEMU.
- Every run of a kernel, on either emulator, must print the same checksum: that is the evidence
  that both executed the same program to the same result.
- Translation cost: one extra JIT run with `-d tb_stats` (one line per translated block, with its
  guest instruction count and translation time). The table shows the median over blocks of each
  block's time per instruction: a run's first block also pays one-time set-up (the code map's
  first table, fresh code-buffer pages: milliseconds), and on a loaded host single blocks wait for
  a core, which made the total time over the total instructions (still in --json) mostly noise.

Exit status: 0 when every run passed and all checksums agree, 1 otherwise, 2 on bad usage.
"""

import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

KERNELS = ["loop", "crc32", "sort", "matmul", "mixed"]
TIMEBASE_HZ = 10_000_000
RESULT_RE = re.compile(r"^bench (\S+) scale=(\d+) ticks=(\d+) checksum=(0x[0-9a-f]+)$", re.M)
TB_STATS_RE = re.compile(r"^tb pc=\S+ pa=\S+ guest_insns=(\d+) ir_ops=\d+ host_bytes=\d+ translate_ns=(\d+)$", re.M)
STATS_RE = re.compile(r"^locklab-stats: (\{.*\})$", re.M)
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class BenchError(Exception):
    pass


def machine_args(elf):
    return ["-machine", "virt", "-nographic", "-bios", "none", "-smp", "1", "-m", "128M",
            "-kernel", elf]


def run_guest(command, timeout):
    """Runs one guest; returns (result dict, stderr text)."""
    try:
        proc = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"no exit within {timeout} s: {' '.join(command)}") from exc
    except OSError as exc:
        raise BenchError(f"cannot run {command[0]}: {exc}") from exc
    match = RESULT_RE.search(proc.stdout)
    if proc.returncode != 0 or not match:
        raise BenchError(f"guest failed (exit status {proc.returncode}): {' '.join(command)}\n"
                         f"{proc.stdout}{proc.stderr}")
    return {"kernel": match.group(1), "scale": int(match.group(2)),
            "ticks": int(match.group(3)), "checksum": match.group(4)}, proc.stderr


def locklab_instret(locklab, elf, timeout):
    """Hart 0's retired instructions for a whole run of `elf`, from locklab --stats."""
    result, stderr = run_guest([locklab, "--accel", "interp", "--stats"] + machine_args(elf), timeout)
    match = STATS_RE.search(stderr)
    if not match:
        raise BenchError(f"no `locklab-stats:` line on stderr of {locklab} --stats")
    stats = json.loads(match.group(1))
    harts = {h["hart"]: h["instret"] for h in stats["harts"]}
    return harts[0], result


def jit_translation_cost(locklab, elf, timeout):
    """(median over blocks of ns per guest instruction, total ns / total instructions) of translation,
    from one `--accel jit -d tb_stats` run."""
    with tempfile.NamedTemporaryFile(mode="r", suffix=".log") as log:
        run_guest([locklab, "--accel", "jit", "-d", "tb_stats", "-D", log.name] + machine_args(elf), timeout)
        blocks = [(int(n), int(ns)) for n, ns in TB_STATS_RE.findall(log.read())]
    insns = sum(n for n, _ in blocks)
    if not insns:
        raise BenchError(f"no tb_stats lines from {locklab} --accel jit")
    return statistics.median(ns / n for n, ns in blocks if n), sum(ns for _, ns in blocks) / insns


def mips(instructions, ticks):
    return instructions / (ticks / TIMEBASE_HZ) / 1e6 if ticks > 0 else float("nan")


def bench_kernel(kernel, args):
    suffix = "_quick" if args.quick else ""
    elf = os.path.join(args.elf_dir, f"bench_{kernel}{suffix}.elf")
    zero_elf = os.path.join(args.elf_dir, f"bench_{kernel}_zero.elf")
    for path in (elf, zero_elf):
        if not os.path.exists(path):
            raise BenchError(f"{path} not found (build the bench_guests target)")

    overhead, _ = locklab_instret(args.locklab, zero_elf, args.timeout)
    total, first = locklab_instret(args.locklab, elf, args.timeout)
    instructions = total - overhead
    if instructions <= 0:
        raise BenchError(f"{kernel}: kernel instruction count {total} - {overhead} is not positive")

    checksums = {first["checksum"]}
    locklab_mips = [mips(instructions, first["ticks"])]
    qemu_mips = []
    jit_mips = []
    tlb_mips = []
    for run in range(args.runs):
        if run > 0:
            result, _ = run_guest([args.locklab, "--accel", "interp"] + machine_args(elf), args.timeout)
            checksums.add(result["checksum"])
            locklab_mips.append(mips(instructions, result["ticks"]))
        if args.jit:
            result, _ = run_guest([args.locklab, "--accel", "jit"] + machine_args(elf), args.timeout)
            checksums.add(result["checksum"])
            jit_mips.append(mips(instructions, result["ticks"]))
        if args.jit and args.jit_tlb:
            result, _ = run_guest([args.locklab, "--accel", "jit", "--jit-ram-window", "off"] + machine_args(elf),
                                  args.timeout)
            checksums.add(result["checksum"])
            tlb_mips.append(mips(instructions, result["ticks"]))
        if args.qemu:
            result, _ = run_guest([args.qemu] + machine_args(elf), args.timeout)
            checksums.add(result["checksum"])
            qemu_mips.append(mips(instructions, result["ticks"]))
    if len(checksums) != 1:
        raise BenchError(f"{kernel}: runs disagree on the checksum: {sorted(checksums)}")

    row = {"kernel": kernel, "scale": first["scale"], "instructions": instructions,
           "checksum": first["checksum"], "locklab_mips": statistics.median(locklab_mips),
           "locklab_runs": locklab_mips}
    if jit_mips:
        row["jit_mips"] = statistics.median(jit_mips)
        row["jit_runs"] = jit_mips
        (row["jit_translate_ns_per_insn"],
         row["jit_translate_ns_per_insn_total"]) = jit_translation_cost(args.locklab, elf, args.timeout)
    if tlb_mips:
        row["jit_tlb_mips"] = statistics.median(tlb_mips)
        row["jit_tlb_runs"] = tlb_mips
    if qemu_mips:
        row["qemu_mips"] = statistics.median(qemu_mips)
        row["qemu_runs"] = qemu_mips
        row["ratio"] = row["locklab_mips"] / row["qemu_mips"]
        if jit_mips:
            row["jit_ratio"] = row["jit_mips"] / row["qemu_mips"]
        if tlb_mips:
            row["jit_tlb_ratio"] = row["jit_tlb_mips"] / row["qemu_mips"]
    return row


def geomean(values):
    return math.exp(sum(math.log(x) for x in values) / len(values))


def print_table(rows, runs):
    def cell(row, key, width, fmt):
        return f"{row[key]:{width}{fmt}}" if key in row else f"{'-':>{width}}"

    print(f"{'kernel':<8} {'instructions':>14} {'interp MIPS':>12} {'JIT MIPS':>9} {'JIT-TLB MIPS':>12} "
          f"{'QEMU MIPS':>10} {'interp/QEMU':>11} {'JIT/QEMU':>9} {'JIT-TLB/QEMU':>12} {'JIT ns/insn':>12}")
    for r in rows:
        print(f"{r['kernel']:<8} {r['instructions']:>14,} {r['locklab_mips']:12.1f} {cell(r, 'jit_mips', 9, '.1f')} "
              f"{cell(r, 'jit_tlb_mips', 12, '.1f')} {cell(r, 'qemu_mips', 10, '.1f')} {cell(r, 'ratio', 11, '.3f')} "
              f"{cell(r, 'jit_ratio', 9, '.3f')} {cell(r, 'jit_tlb_ratio', 12, '.3f')} "
              f"{cell(r, 'jit_translate_ns_per_insn', 12, '.0f')}")
    ratios = [r["ratio"] for r in rows if "ratio" in r]
    if ratios:
        def mean_of(key, width):
            values = [r[key] for r in rows if key in r]
            return f"{geomean(values):{width}.3f}" if values else f"{'-':>{width}}"
        print(f"{'geomean':<8} {'':>14} {'':>12} {'':>9} {'':>12} {'':>10} {geomean(ratios):11.3f} "
              f"{mean_of('jit_ratio', 9)} {mean_of('jit_tlb_ratio', 12)}")
    print(f"(medians of {runs} run(s); MIPS from the guest's own rdtime around the kernel; JIT-TLB: "
          "--jit-ram-window off; JIT ns/insn: translation time per guest instruction, median over the "
          "translated blocks)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per kernel and emulator")
    parser.add_argument("--quick", action="store_true", help="small kernels (CI smoke run)")
    parser.add_argument("--build", default=os.path.join(REPO, "build", "release"),
                        help="build directory (default: build/release)")
    parser.add_argument("--locklab", help="locklab binary (default: BUILD/system/locklab)")
    parser.add_argument("--elf-dir", help="benchmark ELFs (default: BUILD/experiments/bench)")
    parser.add_argument("--qemu", default=shutil.which("qemu-system-riscv64"),
                        help="qemu-system-riscv64 (default: from PATH)")
    parser.add_argument("--no-qemu", action="store_true", help="run locklab only")
    parser.add_argument("--no-jit", dest="jit", action="store_false", help="skip locklab's JIT (--accel jit)")
    parser.add_argument("--no-jit-tlb", dest="jit_tlb", action="store_false",
                        help="skip the JIT-TLB column (--jit-ram-window off)")
    parser.add_argument("--kernels", default=",".join(KERNELS),
                        help=f"comma-separated subset of {','.join(KERNELS)}")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per guest run")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    args.locklab = args.locklab or os.path.join(args.build, "system", "locklab")
    args.elf_dir = args.elf_dir or os.path.join(args.build, "experiments", "bench")
    if args.no_qemu:
        args.qemu = None
    kernels = [k for k in args.kernels.split(",") if k]
    unknown = [k for k in kernels if k not in KERNELS]
    if unknown or args.runs < 1:
        parser.error(f"unknown kernel(s) {unknown}" if unknown else "--runs must be at least 1")
    if not os.access(args.locklab, os.X_OK):
        print(f"bench: locklab not found at {args.locklab} (build it, or pass --build/--locklab)",
              file=sys.stderr)
        return 1

    rows = []
    try:
        for kernel in kernels:
            rows.append(bench_kernel(kernel, args))
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    print_table(rows, args.runs)
    if not args.qemu:
        print("(qemu-system-riscv64 not found: locklab only)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"quick": args.quick, "runs": args.runs, "kernels": rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
