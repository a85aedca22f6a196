#!/usr/bin/env python3
"""Check locklab's --stats report for one guest run (used by CTest).

    stats_check.py --engine jit|interp -- LOCKLAB ARGS...

Runs LOCKLAB --stats --accel ENGINE ARGS (the guest must pass) and reads the `locklab-stats:` JSON
line on stderr: hart 0 retired instructions; on the JIT every hart that did has a "jit" object
whose block, instruction and byte counts are positive (a hart that only parks chains nothing) and whose pinned registers are six distinct
guest registers x1..x31; on the interpreter no hart has one.

Exit status: 0 when the report is as described, 1 otherwise (with the reason).
"""

import argparse
import json
import re
import subprocess
import sys


def fail(why, stderr=""):
    sys.stderr.write(f"stats_check: {why}\n{stderr}")
    sys.exit(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--engine", choices=("jit", "interp"), required=True)
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("command", nargs=argparse.REMAINDER)
    args = p.parse_args()
    command = [c for c in args.command if c != "--"]
    command = command[:1] + ["--stats", "--accel", args.engine] + command[1:]
    proc = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=args.timeout, check=False)
    if proc.returncode != 0:
        fail(f"the guest failed (exit status {proc.returncode})", proc.stderr)
    match = re.search(r"^locklab-stats: (\{.*\})$", proc.stderr, re.M)
    if not match:
        fail("no locklab-stats line on stderr", proc.stderr)
    stats = json.loads(match.group(1))
    if not stats["harts"]:
        fail("no harts in the report")
    if stats["harts"][0]["instret"] <= 0:
        fail(f"hart 0: instret {stats['harts'][0]['instret']}")
    for hart in stats["harts"]:
        if hart["instret"] == 0:
            continue
        if args.engine == "interp":
            if "jit" in hart:
                fail(f"hart {hart['hart']}: a jit report on the interpreter")
            continue
        jit = hart.get("jit")
        if jit is None:
            fail(f"hart {hart['hart']}: no jit report on the JIT")
        for key in ("blocks", "guest_insns", "host_bytes"):  # chains: a hart that only parks has none
            if jit[key] <= 0:
                fail(f"hart {hart['hart']}: jit.{key} = {jit[key]}")
        pinned = jit["pinned"]
        if len(pinned) != 6 or len(set(pinned)) != 6 or not all(1 <= r <= 31 for r in pinned):
            fail(f"hart {hart['hart']}: pinned registers {pinned}")
    print(f"stats_check: {args.engine}: {len(stats['harts'])} hart(s) reported as expected")


if __name__ == "__main__":
    main()
