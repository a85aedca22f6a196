#!/usr/bin/env python3
"""Block benchmark (issue 5, "Benchmark"): guest-side 4 KiB random read/write IOPS and sequential
MB/s through virtio-blk, with the device in the main loop and in an IOThread, on raw and qcow2,
on locklab and on qemu-system-riscv64 with the same guest and image, in one run.

  run.py                 locklab {main loop, iothread} x {raw, qcow2} and QEMU {main loop} x
                         {raw, qcow2}, 3 runs each (a couple of minutes on 2 cores)
  run.py --quick         short tests, small image, one run (CTest experiment.blk_bench.quick)
  run.py --hammer-paced  the hammer harts paced to a fixed rate (the same offered load on both
                         emulators) instead of flat out

The runs go round-robin: round k runs every configuration once, so the host's load drifting over
the minutes of a run falls on all of them alike. A target's metric is clearly better when the
ranges over the runs do not overlap or a sign test over the rounds (run against run of the same
round) gives p < 0.05.

The guest (blk_bench.c) times each test with the CLINT mtime on hart 0 while harts 1..smp-1
hammer another device: on locklab their own mmio-scratch (-device mmio-scratch,id=sN,slot=N; with
--hammer uart the UART instead), on QEMU the UART's line status register (QEMU has no
mmio-scratch). QEMU 7.2 refuses iothread= for virtio-mmio under TCG ("ioeventfd is required for
iothread"), so QEMU is measured in its main loop only.

The hammered device takes the BQL by default (--hammer-lock bql: --device-lock TYPE=global, as
in QEMU, where a vCPU's MMIO access takes the BQL; locklab's default --lock-model is global too,
the option pins it). That is the contention the issue's placement target is about: a virtio device
in the main loop processes its rings under the BQL, one in an IOThread does not. --hammer-lock own
puts the hammered device on its own lock (--device-lock TYPE=per-device), for comparison.

Writes results.csv (one row per run) and summary.md (medians side by side, the ratios and the
issue's two targets) into the output folder and prints the summary.
"""
import argparse
import csv
import datetime
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "guests"))
from run_disk_guest import disk_command  # noqa: E402  (the disk command line, one spelling)

TICK_S = 1e-7  # CLINT mtime: 10 MHz
TEST_RE = re.compile(r"^blk_bench test=(\w+) ops=(\d+) bytes=(\d+) ticks=(\d+) qd=(\d+)\s*$", re.M)
HAMMER_RE = re.compile(r"^blk_bench hammer hart=(\d+) target=(\w+) ops=(\d+) ticks=(\d+)\s*$", re.M)
# metric name -> (test, unit, value from ops/bytes/seconds)
METRICS = {
    "seq_write_MBps": ("seq_write", "MB/s", lambda ops, nbytes, s: nbytes / s / 1e6),
    "seq_read_MBps": ("seq_read", "MB/s", lambda ops, nbytes, s: nbytes / s / 1e6),
    "rand_read_IOPS": ("rand_read", "IOPS", lambda ops, nbytes, s: ops / s),
    "rand_write_IOPS": ("rand_write", "IOPS", lambda ops, nbytes, s: ops / s),
}
FORMATS = ("raw", "qcow2")
HAMMER_LOCK_CLASS = {"scratch": "mmio-scratch", "uart": "serial"}  # --device-lock TYPE for each target


class RunFailed(Exception):
    pass


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--locklab", default="build/release/system/locklab", help="the locklab binary")
    p.add_argument("--qemu", default=shutil.which("qemu-system-riscv64"), help="qemu-system-riscv64")
    p.add_argument("--no-qemu", action="store_true", help="measure locklab only")
    p.add_argument("--elf-dir", default="build/release/experiments/blk_bench", help="folder with blk_bench[_paced][_quick].elf")
    p.add_argument("--out", help="output folder (default build/experiments/blk_bench/<time>)")
    p.add_argument("--quick", action="store_true", help="short tests, 8 MiB image, one run (CI)")
    p.add_argument("--runs", type=int, help="runs per configuration, medians reported (default 3, quick 1)")
    p.add_argument("--smp", type=int, default=4, help="harts: hart 0 does the I/O, the others hammer (default 4)")
    p.add_argument("--size-mb", type=int, help="disk size in MiB (default 32, quick 8)")
    p.add_argument("--hammer", choices=("scratch", "uart"), default="scratch",
                   help="what locklab's hammer harts hit (QEMU: always the UART)")
    p.add_argument("--hammer-paced", action="store_true",
                   help="pace the hammer harts to 500 thousand round trips per second each (blk_bench_paced.elf): "
                        "the same offered load on both emulators, instead of as many as each can do")
    p.add_argument("--hammer-lock", choices=("bql", "own"), default="bql",
                   help="whether locklab's hammered device takes the BQL (default, as in QEMU) or its own lock")
    p.add_argument("--locklab-aio", choices=("nowait", "threads"), default="nowait",
                   help="locklab's -drive aio= (nowait, the default: reads from the page cache inline in the "
                        "device's event loop; threads: every request on the worker pool, as QEMU's default aio=threads)")
    p.add_argument("--locklab-lock-impl", choices=("mutex", "queuing", "spin", "rfifo", "handoff", "adaptive"),
                   help="what locklab's BQL and device locks are built on (--lock-impl; default: locklab's)")
    p.add_argument("--locklab-handoff-us", type=int,
                   help="with --locklab-lock-impl handoff: the hand-off bound in microseconds (--lock-handoff-us; "
                        "default: locklab's)")
    p.add_argument("--locklab-accel", choices=("jit", "interp"), default="jit",
                   help="locklab's engine (--accel; default jit, locklab's default and the like of QEMU's TCG)")
    p.add_argument("--locklab-vcpu-nice", type=int, default=0,
                   help="locklab's --vcpu-nice: its vCPU threads this many nice levels below the event-loop threads "
                        "(default 0, as QEMU)")
    p.add_argument("--locklab-event-loop-spin-us", type=int,
                   help="locklab's --event-loop-spin-us: how long its main loop and IOThreads spin for a contended "
                        "lock before sleeping (default: locklab's; 0: sleep at once, as QEMU)")
    p.add_argument("--locklab-thread-slice-us", type=int,
                   help="locklab's --thread-slice-us: the scheduler slice its threads ask for (default: locklab's; "
                        "0: the kernel's default, as QEMU)")
    p.add_argument("--timeout", type=float, default=300, help="seconds per run")
    a = p.parse_args()
    a.runs = a.runs or (1 if a.quick else 3)
    a.size_mb = a.size_mb or (8 if a.quick else 32)
    if not 1 <= a.smp <= 8:
        p.error("--smp must be 1..8")
    a.out = a.out or os.path.join("build", "experiments", "blk_bench", datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    if a.no_qemu:
        a.qemu = None
    return a


def make_images(folder, size_mb):
    """A raw image of pseudo-random bytes and the same contents as qcow2 (every cluster allocated)."""
    raw = os.path.join(folder, "image.raw")
    with open(raw, "wb") as f:
        for _ in range(size_mb):
            f.write(os.urandom(1 << 20))
    qcow2 = os.path.join(folder, "image.qcow2")
    subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, qcow2], check=True)
    return {"raw": raw, "qcow2": qcow2}


def command(args, emulator, placement, fmt, elf, image):
    binary = args.locklab if emulator == "locklab" else args.qemu
    cmd = disk_command([binary], elf, image, fmt, smp=args.smp, iothread=placement == "iothread",
                       transport="modern")
    if emulator == "locklab" and args.hammer == "scratch":
        for h in range(1, args.smp):
            cmd += ["-device", f"mmio-scratch,id=s{h},slot={h}"]
    if emulator == "locklab":
        drive = cmd.index("-drive") + 1
        cmd[drive] += f",aio={args.locklab_aio}"
        cmd += ["--accel", args.locklab_accel]
        model = "global" if args.hammer_lock == "bql" else "per-device"
        cmd += ["--device-lock", f"{HAMMER_LOCK_CLASS[args.hammer]}={model}"]
        if args.locklab_lock_impl:
            cmd += ["--lock-impl", args.locklab_lock_impl]
        if args.locklab_handoff_us is not None:
            cmd += ["--lock-handoff-us", str(args.locklab_handoff_us)]
        if args.locklab_vcpu_nice:
            cmd += ["--vcpu-nice", str(args.locklab_vcpu_nice)]
        if args.locklab_event_loop_spin_us is not None:
            cmd += ["--event-loop-spin-us", str(args.locklab_event_loop_spin_us)]
        if args.locklab_thread_slice_us is not None:
            cmd += ["--thread-slice-us", str(args.locklab_thread_slice_us)]
    return cmd


def run_once(cmd, timeout):
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RunFailed(f"timed out after {timeout:.0f} s: {' '.join(cmd)}")
    except OSError as e:
        raise RunFailed(f"cannot run {cmd[0]}: {e}")
    tests = {m[0]: (int(m[1]), int(m[2]), int(m[3]) * TICK_S) for m in TEST_RE.findall(p.stdout)}
    if p.returncode != 0 or set(tests) != {t for t, _, _ in METRICS.values()}:
        tail = (p.stdout + p.stderr).strip().splitlines()[-4:]
        raise RunFailed(f"exit {p.returncode}: {' '.join(cmd)}\n    " + "\n    ".join(tail))
    row = {name: fn(*tests[test]) for name, (test, _, fn) in METRICS.items()}
    hammers = HAMMER_RE.findall(p.stdout)
    row["hammer_target"] = ",".join(sorted({h[1] for h in hammers})) or "-"
    row["hammer_Mops"] = sum(int(h[2]) / (int(h[3]) * TICK_S) for h in hammers if int(h[3])) / 1e6
    return row


def configurations(args):
    confs = [("locklab", pl, fmt) for fmt in FORMATS for pl in ("mainloop", "iothread")]
    if args.qemu:
        confs += [("qemu", "mainloop", fmt) for fmt in FORMATS]
    return confs


def measure(args, images, elf, work):
    """Round-robin: round k runs every configuration once, so a drift in the host's load over the
    minutes of a run falls on every configuration alike instead of on whichever ran then."""
    rows, failures, failed = [], [], set()
    confs = configurations(args)
    for run in range(1, args.runs + 1):
        for i, conf in enumerate(confs, 1):
            if conf in failed:
                continue
            emu, pl, fmt = conf
            image = os.path.join(work, f"run.{fmt}")
            shutil.copyfile(images[fmt], image)  # every run starts from the same image
            cmd = command(args, emu, pl, fmt, elf, image)
            what = f"[round {run}/{args.runs}, {i}/{len(confs)}] {emu:8} {pl:9} {fmt:6}"
            try:
                r = run_once(cmd, args.timeout)
            except RunFailed as e:
                failures.append(f"{emu} {pl} {fmt} run {run}: {e}")
                print(f"{what}: FAILED", file=sys.stderr, flush=True)
                failed.add(conf)  # its later rounds are skipped
                continue
            rows.append(dict(emulator=emu, placement=pl, format=fmt, run=run, **r))
            print(f"{what}: " + ", ".join(f"{k} {r[k]:.1f}" for k in METRICS), file=sys.stderr, flush=True)
    return rows, failures


def medians(rows):
    out = {}
    for r in rows:
        out.setdefault((r["emulator"], r["placement"], r["format"]), []).append(r)
    keys = list(METRICS) + ["hammer_Mops"]
    return {k: {m: statistics.median(x[m] for x in v) for m in keys} |
            {f"{m}_range": (min(x[m] for x in v), max(x[m] for x in v)) for m in keys} |
            {"target": v[0]["hammer_target"], "runs": len(v)} for k, v in out.items()}


def rounds_won(rows, a_key, b_key):
    """metric -> (rounds in which configuration a beat b, rounds in which both ran)."""
    by = {}
    for r in rows:
        by[(r["emulator"], r["placement"], r["format"], r["run"])] = r
    rounds = sorted({r["run"] for r in rows})
    pairs = [(by[a_key + (k,)], by[b_key + (k,)]) for k in rounds if a_key + (k,) in by and b_key + (k,) in by]
    return {m: (sum(x[m] > y[m] for x, y in pairs), len(pairs)) for m in METRICS}


def sign_test_p(wins, n):
    """One-sided sign test: the chance of at least `wins` wins in n rounds if neither side were better."""
    return sum(math.comb(n, k) for k in range(wins, n + 1)) / 2 ** n if n else 1.0


def judge(a_range, b_range, wins, n):
    """'>' if a is clearly better than b (ranges apart, or the sign test over n paired rounds gives
    p < 0.05), '<' if clearly worse, '~' otherwise."""
    if a_range[0] > b_range[1] or sign_test_p(wins, n) < 0.05:
        return ">"
    if a_range[1] < b_range[0] or sign_test_p(n - wins, n) < 0.05:
        return "<"
    return "~"


def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else "-"


def summary(args, rows, med, failures, load_before):
    L = [f"# Block benchmark, {datetime.datetime.now():%Y-%m-%d %H:%M}", "",
         f"locklab `{args.locklab}` (--accel {args.locklab_accel}, -drive aio={args.locklab_aio}"
         f"{', --lock-impl ' + args.locklab_lock_impl if args.locklab_lock_impl else ''}"
         f"{f', --lock-handoff-us {args.locklab_handoff_us}' if args.locklab_handoff_us is not None else ''}"
         f"{f', --vcpu-nice {args.locklab_vcpu_nice}' if args.locklab_vcpu_nice else ''}"
         f"{f', --event-loop-spin-us {args.locklab_event_loop_spin_us}' if args.locklab_event_loop_spin_us is not None else ''}"
         f"{f', --thread-slice-us {args.locklab_thread_slice_us}' if args.locklab_thread_slice_us is not None else ''}), QEMU `{args.qemu or '(not run)'}` (its default, "
         f"aio=threads); "
         f"{'quick' if args.quick else 'full'} run: {args.runs} run(s) per configuration (medians), "
         f"{args.size_mb} MiB image (raw, and the same contents as a fully allocated qcow2), -smp {args.smp}: hart 0 "
         f"does the I/O (interrupt-driven, event-idx, indirect descriptors, modern virtio-mmio), harts 1..{args.smp - 1} "
         f"hammer another device ({'paced to 500 k round trips/s per hart' if args.hammer_paced else 'flat out'}). "
         f"Sequential: 128 KiB requests, 4 in flight; random: 4 KiB, 8 in flight; each test "
         f"{'200' if args.quick else '2000'} ms of guest mtime. Host: {os.cpu_count()} cores, load average "
         f"{load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end (the vCPUs, the IOThread and the main "
         f"loop share them).", "",
         "Hammer target: " + "; ".join(sorted({f"{k[0]}: {v['target']}" for k, v in med.items()})) +
         (f" (locklab's under the BQL: --device-lock {HAMMER_LOCK_CLASS[args.hammer]}=global)"
          if args.hammer_lock == "bql" else
          f" (locklab's on its own lock: --device-lock {HAMMER_LOCK_CLASS[args.hammer]}=per-device)") +
         " (QEMU has no mmio-scratch: its hammer harts read the UART LSR, which takes QEMU's BQL; run with "
         "--hammer uart for the like-for-like locklab figure). QEMU 7.2 cannot place virtio-mmio in an IOThread "
         "under TCG, so its column is the main loop.", ""]
    for fmt in FORMATS:
        L += [f"## {fmt}", "",
              "| metric: median (min..max) | locklab main loop | locklab iothread | QEMU main loop | "
              "iothread / main | locklab main / QEMU | locklab iothread / QEMU |", "| --- | --- | --- | --- | --- | --- | --- |"]
        get = lambda emu, pl, m: med.get((emu, pl, fmt), {}).get(m)

        def cell(emu, pl, m):
            v, r = get(emu, pl, m), get(emu, pl, m + "_range")
            if v is None:
                return "-"
            return f"{v:.1f}" + (f" ({r[0]:.1f}..{r[1]:.1f})" if r and r[0] != r[1] else "")
        for m in list(METRICS) + ["hammer_Mops"]:
            lm, li, q = get("locklab", "mainloop", m), get("locklab", "iothread", m), get("qemu", "mainloop", m)
            L.append(f"| {m} | {cell('locklab', 'mainloop', m)} | {cell('locklab', 'iothread', m)} | "
                     f"{cell('qemu', 'mainloop', m)} | {ratio(li, lm)} | {ratio(lm, q)} | {ratio(li, q)} |")
        L.append("")
    L += ["## Targets", "",
          "The runs go round-robin (round k runs every configuration once), so the two configurations' runs "
          "of a round are a pair; `won k/n` counts the rounds in which the first beat the second. A metric "
          "counts as clearly better (>) or worse (<) when the ranges over the runs do not overlap, or when a "
          "one-sided sign test over the rounds says p < 0.05 (5 of 5, 6 of 6, 7 of 8 rounds...); "
          "~: neither, the difference is within this host's noise.", "",
          "| target | measured (ratio of medians, comparison of ranges, rounds won) | verdict |", "| --- | --- | --- |"]

    def compare(a_key, b_key, what):
        a, b = med[a_key], med[b_key]
        won = rounds_won(rows, a_key, b_key)
        if min(a["runs"], b["runs"]) < 2:
            L.append(f"| {what} | " + ", ".join(f"{m} {ratio(a[m], b[m])}x" for m in METRICS) +
                     " | not judged (one run: its spread is unknown) |")
            return
        marks = {m: judge(a[f"{m}_range"], b[f"{m}_range"], *won[m]) for m in METRICS}
        wins, losses = list(marks.values()).count(">"), list(marks.values()).count("<")
        verdict = ("met" if wins == len(METRICS) else f"not met ({losses} clearly worse)" if losses else
                   f"inconclusive ({wins} of {len(METRICS)} clearly better, the rest within noise)")
        L.append(f"| {what} | " + ", ".join(f"{m} {ratio(a[m], b[m])}x {marks[m]} (won {won[m][0]}/{won[m][1]})"
                                            for m in METRICS) + f" | {verdict} |")
    for fmt in FORMATS:
        io, main, q = ("locklab", "iothread", fmt), ("locklab", "mainloop", fmt), ("qemu", "mainloop", fmt)
        if io in med and main in med:
            compare(io, main, f"{fmt}: IOThread placement beats the main loop while vCPUs hammer another device")
        if main in med and q in med:
            compare(main, q, f"{fmt}: locklab >= QEMU, same configuration (main loop)")
    if failures:
        L += ["", "## Failed runs", ""] + [f"- {f}" for f in failures]
    L += ["", "Data: results.csv (one row per run).", ""]
    return "\n".join(L)


def main():
    args = parse_args()
    elf = os.path.abspath(os.path.join(args.elf_dir, f"blk_bench{'_paced' if args.hammer_paced else ''}"
                                                     f"{'_quick' if args.quick else ''}.elf"))
    if not os.path.exists(elf):
        sys.exit(f"run.py: no guest {elf} (build the blk_bench_guests target, or --elf-dir)")
    if not os.access(args.locklab, os.X_OK):
        sys.exit(f"run.py: no locklab binary at {args.locklab} (build the locklab target, or --locklab)")
    os.makedirs(args.out, exist_ok=True)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="blk_bench.") as work:
        images = make_images(work, args.size_mb)
        rows, failures = measure(args, images, elf, work)
    fields = ["emulator", "placement", "format", "run", *METRICS, "hammer_target", "hammer_Mops"]
    with open(os.path.join(args.out, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    text = summary(args, rows, medians(rows), failures, load_before)
    with open(os.path.join(args.out, "summary.md"), "w") as f:
        f.write(text)
    print(text)
    print(f"run.py: results in {args.out}")
    return 1 if failures or not rows else 0


if __name__ == "__main__":
    sys.exit(main())
