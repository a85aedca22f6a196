#!/usr/bin/env python3
"""Run a guest under `locklab --lockdep` and check what the lock-order validator said (CTest).

    lockdep_check.py [--timeout S] [--cycles N | --abort] [--classes A,B] -- LOCKLAB ARGS...

The guest must pass (exit status 0) and locklab's lockdep must have reported exactly --cycles
lock order cycles (its exit summary and its reports agree). With --abort (for --lockdep=abort)
locklab must instead die of SIGABRT after one report. Every class in --classes must be named in
the reports. Exit status: 0 when all of that holds, 1 otherwise (with the reason and the output).
"""

import argparse
import re
import signal
import subprocess
import sys


def fail(reason, out, err):
    sys.stderr.write(f"FAIL: {reason}\n--- stdout ---\n{out}\n--- stderr ---\n{err}\n")
    return 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--cycles", type=int, default=0, help="cycles lockdep must report")
    parser.add_argument("--abort", action="store_true", help="expect --lockdep=abort to abort")
    parser.add_argument("--classes", default="", help="comma-separated classes the reports must name")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- locklab and its arguments")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given (after --)")

    try:
        proc = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=args.timeout, check=False)
    except subprocess.TimeoutExpired as exc:  # its partial output is bytes, even with text=True
        def text(b):
            return b.decode(errors="replace") if isinstance(b, bytes) else (b or "")
        return fail(f"no exit within {args.timeout:g} s", text(exc.stdout), text(exc.stderr))
    out, err = proc.stdout, proc.stderr

    reports = err.count("locklab lockdep: possible deadlock")
    if args.abort:
        if proc.returncode != -signal.SIGABRT:
            return fail(f"exit status {proc.returncode}, want death by SIGABRT", out, err)
        if reports != 1:
            return fail(f"{reports} lockdep reports before the abort, want 1", out, err)
    else:
        if proc.returncode != 0:
            return fail(f"exit status {proc.returncode}, want 0", out, err)
        summary = re.search(r"locklab lockdep: (\d+) lock order cycle\(s\)", err)
        if not summary:
            return fail("no lockdep summary at exit (was --lockdep given?)", out, err)
        if int(summary.group(1)) != args.cycles or reports != args.cycles:
            return fail(f"lockdep found {summary.group(1)} cycles ({reports} reports), want {args.cycles}",
                        out, err)
    for cls in filter(None, args.classes.split(",")):
        if f'"{cls}"' not in err:
            return fail(f"the lockdep report does not name class {cls}", out, err)
    return 0


if __name__ == "__main__":
    sys.exit(main())
