#!/usr/bin/env python3
"""Run one bare-metal guest on an emulator and judge the result (used by CTest).

    run_guest.py [--timeout S] [--expect-status N] [--expected FILE] [--runs N] -- EMULATOR ARGS...

The emulator (locklab or qemu-system-riscv64, same arguments) is run with stdin closed. The guest
reports through the test finisher, so the emulator's exit status is the verdict: it must equal
--expect-status (default 0, a pass). The guest's UART output is the emulator's stdout; when
--expected names a file, stdout must equal it byte for byte. With --runs N the guest is run N times
and every run's output must be identical (the determinism check for `--threads single`).

Exit status: 0 when every run passed, 1 otherwise (with the reason and the output on stderr).
"""

import argparse
import subprocess
import sys


def run_once(command, timeout):
    """Returns (exit status or None on timeout, stdout bytes, stderr bytes)."""
    try:
        proc = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        return None, exc.stdout or b"", exc.stderr or b""
    except OSError as exc:
        return None, b"", f"cannot run {command[0]}: {exc}\n".encode()
    return proc.returncode, proc.stdout, proc.stderr


def show(label, data):
    text = data.decode(errors="replace")
    sys.stderr.write(f"--- {label} ---\n{text}")
    if text and not text.endswith("\n"):
        sys.stderr.write("\n")


def first_difference(got, want):
    got_lines, want_lines = got.splitlines(), want.splitlines()
    for i, (g, w) in enumerate(zip(got_lines, want_lines)):
        if g != w:
            return f"line {i + 1}: got {g!r}, want {w!r}"
    return f"got {len(got_lines)} lines, want {len(want_lines)} (or a difference in line endings)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per run")
    parser.add_argument("--expect-status", type=int, default=0, help="expected exit status")
    parser.add_argument("--expected", help="file the UART output must equal")
    parser.add_argument("--runs", type=int, default=1, help="runs whose outputs must be identical")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- emulator and its arguments")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no emulator command given (after --)")

    want = None
    if args.expected:
        try:
            with open(args.expected, "rb") as f:
                want = f.read()
        except OSError as exc:
            parser.error(f"cannot read --expected file: {exc}")

    outputs = []
    for run in range(1, max(1, args.runs) + 1):
        status, out, err = run_once(command, args.timeout)
        prefix = f"run {run}: " if args.runs > 1 else ""
        problem = None
        if status is None:
            problem = f"no exit within {args.timeout:g} s (or the emulator could not start)"
        elif status != args.expect_status:
            problem = f"exit status {status}, want {args.expect_status}"
        elif want is not None and out != want:
            problem = f"UART output differs from {args.expected}: {first_difference(out, want)}"
        elif outputs and out != outputs[0]:
            problem = f"UART output differs from run 1: {first_difference(out, outputs[0])}"
        if problem:
            sys.stderr.write(f"FAIL: {prefix}{problem}\ncommand: {' '.join(command)}\n")
            show("stdout (UART)", out)
            show("stderr", err)
            return 1
        outputs.append(out)
    sys.stdout.buffer.write(outputs[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
