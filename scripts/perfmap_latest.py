#!/usr/bin/env python3
"""Keep, in a `-perfmap` file (/tmp/perf-<pid>.map), only the newest block at each host address.

    python3 scripts/perfmap_latest.py /tmp/perf-<pid>.map [...]

locklab's JIT reuses its code buffer after a flush (fence.i, a full buffer, a switch of pinned
registers), so a map written during a run lists several blocks over the same host bytes, and perf
would name samples after whichever it picks. The block written last is the one whose code is there
at the end of the run (and, for a benchmark, almost all of it): this rewrites each file in place
with, for every host range, only the newest entry that overlaps it. Run it after the guest has
exited and before `perf report`.
"""
import bisect
import sys


def latest(lines):
    """The entries of `lines` (oldest first) that no newer entry overlaps, sorted by address."""
    entries = []
    for number, line in enumerate(lines, 1):
        fields = line.split(maxsplit=2)
        if len(fields) != 3:
            raise ValueError(f"line {number}: expected '<start> <size> <name>', got {line!r}")
        entries.append((int(fields[0], 16), int(fields[1], 16), fields[2].rstrip("\n")))
    starts, kept = [], []  # kept: non-overlapping, sorted by start (starts: their starts)
    for start, size, name in reversed(entries):  # newest first
        i = bisect.bisect_left(starts, start)
        if i > 0 and kept[i - 1][0] + kept[i - 1][1] > start:
            continue  # overlaps a newer entry below it
        if i < len(kept) and kept[i][0] < start + size:
            continue  # overlaps a newer entry above it
        starts.insert(i, start)
        kept.insert(i, (start, size, name))
    return kept


def main(paths):
    if not paths:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                entries = latest(f.readlines())
        except (OSError, ValueError) as exc:
            print(f"perfmap_latest: {path}: {exc}", file=sys.stderr)
            return 1
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(f"{s:x} {n:x} {name}\n" for s, n, name in entries)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
