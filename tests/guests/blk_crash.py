#!/usr/bin/env python3
"""Crash safety of the disk images: SIGKILL the emulator at random points of a guest write storm,
then check the image (CTest guest.blk_crash, label crash).

    blk_crash.py --elf blk_storm.elf (--locklab PATH | --emulator PATH) [--iterations N]
                 [--format qcow2|raw] [--transport legacy|modern] [--iothread] [--max-delay S]
                 [--fresh-every N] [--seed N] [--keep]

One image (32 MiB, empty) serves --fresh-every iterations (then a new empty one: random writes
have allocated every qcow2 cluster after a few hundred generations, and crashes during cluster
allocation are the interesting ones). Each iteration runs the storm guest
(tests/guests/blk_storm.c) on it, waits until the guest prints its first line, lets it run a
random time up to --max-delay seconds and kills the emulator with SIGKILL. Then:
  - `qemu-img check` reports no corruption (exit 0, or 3: leaked clusters only);
  - the image, read through `qemu-img convert -O raw`, holds in every sector zero or a
    consistent generation stamp, and never a generation newer than the guest started;
  - every sector written by a generation the guest saw flushed (`flushed G`), in this iteration
    or an earlier one, holds that generation or a later one;
  - the next iteration's guest starts above every generation flushed so far (an unflushed one may
    be lost, and is then written again).
Exit status 0 when every iteration passed, 1 otherwise (the reason on stderr), 2 on bad usage.
"""

import argparse
import functools
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from run_disk_guest import disk_command

SECTOR = 512
SECTORS = 65536  # blk_storm.c's STORM_SECTORS
ZERO_SECTOR = bytes(SECTOR)
START_RE = re.compile(r"^storm starts at gen (\d+)$", re.M)
WRITES_RE = re.compile(r"^gen (\d+) writes((?: \d+:\d+)+)$", re.M)
FLUSHED_RE = re.compile(r"^flushed (\d+)$", re.M)


class Failed(Exception):
    pass


@functools.lru_cache(maxsize=256)
def _stamp_tail(base):
    return bytes((base + j) & 0xFF for j in range(16, SECTOR))


def stamp(gen, sector):
    """blk_storm.c's stamp_byte for a whole sector."""
    head = gen.to_bytes(8, "little") + sector.to_bytes(8, "little")
    return head + _stamp_tail((gen * 7 + sector * 3) & 0xFF)


def sector_gen(data, sector):
    """blk_storm.c's sector_gen: the generation, 0 for a zero sector, -1 for anything else."""
    gen = int.from_bytes(data[:8], "little")
    if gen == 0:
        return 0 if data == ZERO_SECTOR else -1
    return gen if data == stamp(gen, sector) else -1


def run_storm(cmd, delay, timeout):
    """Starts the emulator, kills it `delay` s after the guest's first line; returns stdout."""
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lines, started = [], threading.Event()

    def reader():
        for line in proc.stdout:
            lines.append(line)
            started.set()
    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    if not started.wait(timeout):
        proc.kill()
        proc.wait()
        raise Failed(f"no output within {timeout:g} s: {' '.join(cmd)}\n{proc.stderr.read()}")
    time.sleep(delay)
    exited = proc.poll()
    proc.kill()
    proc.wait()
    thread.join(5)
    err = proc.stderr.read()
    output = "".join(lines)
    if exited is not None:
        raise Failed(f"the emulator ended by itself (status {exited}) before the kill:\n{output}{err}")
    return output


class Checker:
    """What the guest has promised so far, across iterations."""

    def __init__(self):
        self.required = [0] * SECTORS  # generation each sector must hold at least
        self.writers = {}              # generation -> set of sectors it wrote
        self.printed = 0               # highest generation the guest printed
        self.flushed = 0               # highest generation the guest saw flushed

    def absorb(self, output):
        m = START_RE.search(output)
        if not m:
            raise Failed(f"no `storm starts at gen` line:\n{output}")
        if int(m[1]) <= self.flushed:
            raise Failed(f"the storm restarted at gen {m[1]}, not above gen {self.flushed}, which was "
                         f"flushed before: flushed writes went missing")
        complete = output[:output.rfind("\n") + 1]  # the killed guest's last line may be cut
        this_run = {}
        for gen, spans in WRITES_RE.findall(complete):
            sectors = set()
            for span in spans.split():
                start, count = map(int, span.split(":"))
                sectors.update(range(start, start + count))
            this_run[int(gen)] = sectors
            # a generation that was not flushed may be lost and written again by the next run:
            # a sector may hold what either run wrote under that number
            self.writers.setdefault(int(gen), set()).update(sectors)
            self.printed = max(self.printed, int(gen))
        flushed = [int(g) for g in FLUSHED_RE.findall(complete)]
        for gen in flushed:
            for s in this_run[gen]:
                self.required[s] = max(self.required[s], gen)
            self.flushed = max(self.flushed, gen)
        return int(m[1]), (max(flushed) if flushed else None)

    def check_image(self, raw):
        bad = []
        for s in range(SECTORS):
            gen = sector_gen(raw[s * SECTOR:(s + 1) * SECTOR], s)
            if gen < 0:
                bad.append(f"sector {s}: neither zero nor a consistent stamp")
            elif gen < self.required[s]:
                bad.append(f"sector {s}: gen {gen}, but gen {self.required[s]} wrote it and was flushed")
            elif gen > self.printed + 1:
                bad.append(f"sector {s}: gen {gen}, newer than any the guest got to")
            elif gen in self.writers and s not in self.writers[gen]:
                bad.append(f"sector {s}: gen {gen}, which did not write it")
        if bad:
            raise Failed(f"{len(bad)} bad sector(s):\n  " + "\n  ".join(bad[:20]))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--elf", required=True, help="blk_storm.elf")
    p.add_argument("--locklab", help="the locklab binary (its CLI is QEMU's)")
    p.add_argument("--emulator", help="any emulator with QEMU's command line (e.g. qemu-system-riscv64)")
    p.add_argument("--iterations", type=int, default=20)
    p.add_argument("--format", choices=("qcow2", "raw"), default="qcow2")
    p.add_argument("--transport", choices=("legacy", "modern"), default="modern")
    p.add_argument("--iothread", action="store_true")
    p.add_argument("--fresh-every", type=int, default=10, help="iterations per image (default 10)")
    p.add_argument("--max-delay", type=float, default=1.0, help="longest run before the kill, s")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the guest's first line")
    p.add_argument("--seed", type=int, help="random seed of the kill times (printed)")
    p.add_argument("--keep", action="store_true", help="keep the image folder")
    args = p.parse_args()
    emulator = args.locklab or args.emulator
    if not emulator:
        p.error("give --locklab or --emulator")
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    rnd = random.Random(seed)
    print(f"blk_crash: seed {seed}, {args.iterations} iteration(s), {args.format}", flush=True)

    folder = tempfile.mkdtemp(prefix="blk_crash.")
    image = os.path.join(folder, f"disk.{args.format}")
    ok = False
    cmd = [emulator]
    try:
        cmd = disk_command([emulator], os.path.abspath(args.elf), image, args.format,
                           iothread=args.iothread, transport=args.transport)

        raw = os.path.join(folder, "readback.raw")
        for i in range(1, args.iterations + 1):
            if (i - 1) % max(1, args.fresh_every) == 0:
                subprocess.run(["qemu-img", "create", "-q", "-f", args.format, image, str(SECTORS * SECTOR)],
                               check=True)
                checker = Checker()
            delay = rnd.uniform(0, args.max_delay)
            try:
                output = run_storm(cmd, delay, args.timeout)
                start, flushed = checker.absorb(output)
                if args.format == "qcow2":
                    chk = subprocess.run(["qemu-img", "check", "-f", "qcow2", image], capture_output=True,
                                         text=True)
                    if chk.returncode not in (0, 3):
                        raise Failed(f"qemu-img check: exit {chk.returncode}\n{chk.stdout}{chk.stderr}")
                    leaks = "leaks" if chk.returncode == 3 else "clean"
                else:
                    leaks = "raw"
                subprocess.run(["qemu-img", "convert", "-f", args.format, "-O", "raw", image, raw], check=True)
                with open(raw, "rb") as f:
                    checker.check_image(f.read())
            except Failed as exc:
                raise Failed(f"iteration {i} (killed {delay:.3f} s after the first line): {exc}") from exc
            print(f"iteration {i}: killed after {delay:.3f} s, gens {start}..{checker.printed}, "
                  f"last flushed {flushed}, image {leaks}: OK", flush=True)
        ok = True
        return 0
    except Failed as exc:
        sys.stderr.write(f"FAIL: {exc}\ncommand: {' '.join(cmd)}\n(image folder: {folder}, seed {seed})\n")
        return 1
    finally:
        if ok and not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
