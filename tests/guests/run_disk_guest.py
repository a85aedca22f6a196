#!/usr/bin/env python3
"""Run the virtio-blk guest on a prepared disk image and check the image afterwards (CTest).

    run_disk_guest.py --elf GUEST.elf --format raw|qcow2|qcow2v2|qcow2-backing
                      [--transport legacy|modern] [--smp N] [--iothread] [--slot N]
                      [--then EMULATOR] [--timeout S] -- EMULATOR [ARGS...]

In a temporary folder: an image of SECTORS sectors, each stamped with seed 1 (the pattern of
tests/guests/virtio_blk.c), as raw, qcow2 v3, qcow2 v2 (compat=0.10), or an empty qcow2 v3 overlay
whose backing file (qcow2, named relatively: "base.qcow2") holds the pattern. The emulator
(locklab or qemu-system-riscv64: same arguments) runs the guest with the image as
`-drive if=none` + `-device virtio-blk-device,bus=virtio-mmio-bus.SLOT` (with --iothread in an
IOThread; --transport modern: -global virtio-mmio.force-legacy=false). Then:
  - the exit status is 0 and the guest saw the transport asked for;
  - the guest's digest of the disk it read first equals the image's (so it read it exactly);
  - `qemu-img check` finds no error and no leak, and `qemu-img compare` finds the image equal to
    the prepared contents with the guest's logged writes (`blk write S N SEED`) applied;
  - a backing file is unchanged and still named "base.qcow2" in the overlay.
With --no-writes (virtio_blk_bad.c) the guest prints no digest and the image must be unchanged.
With --then EMULATOR2 the guest then runs again, on EMULATOR2, on the image the first run left:
interop (an image QEMU wrote read by locklab, or the reverse), checked the same way.

Exit status 0 when everything holds, 1 otherwise (the reason on stderr).
"""

import argparse
import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile

SECTOR = 512
SECTORS = 4096  # virtio_blk.c's DISK_SECTORS
FORMATS = ("raw", "qcow2", "qcow2v2", "qcow2-backing")
VERSION_OF = {"legacy": 1, "modern": 2}


class Failed(Exception):
    pass


@functools.lru_cache(maxsize=256)
def _pattern_tail(base):
    return bytes((j * 7 + base) & 0xFF for j in range(8, SECTOR))


def pattern_sector(seed, sector):
    """virtio_blk.c's pattern_byte for a whole sector."""
    stamp = ((seed << 40) | sector).to_bytes(8, "little")
    return stamp + _pattern_tail((sector * 13 + seed * 101) & 0xFF)


def digest(image):
    """virtio_blk.c's FNV-1a over the seeds the sectors are stamped with (0: no stamp)."""
    h = 0x811C9DC5
    for s in range(len(image) // SECTOR):
        sector = image[s * SECTOR:(s + 1) * SECTOR]
        stamp = int.from_bytes(sector[:8], "little")
        seed = stamp >> 40
        ok = (stamp & ((1 << 40) - 1)) == s and 0 < seed < 256 and sector == pattern_sector(seed, s)
        h = ((h ^ (seed if ok else 0)) * 0x01000193) & 0xFFFFFFFF
    return h


def qemu_img(*args, cwd=None, check=True):
    proc = subprocess.run(["qemu-img", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise Failed(f"qemu-img {' '.join(args)}: exit {proc.returncode}\n{proc.stdout}{proc.stderr}")
    return proc


def prepare(folder, fmt):
    """Writes the image; returns (its file name, its format, the raw contents it starts with)."""
    contents = b"".join(pattern_sector(1, s) for s in range(SECTORS))
    raw = os.path.join(folder, "initial.raw")
    with open(raw, "wb") as f:
        f.write(contents)
    if fmt == "raw":
        shutil.copy(raw, os.path.join(folder, "disk.img"))
        return "disk.img", "raw", contents
    if fmt in ("qcow2", "qcow2v2"):
        compat = "1.1" if fmt == "qcow2" else "0.10"
        qemu_img("convert", "-f", "raw", "-O", "qcow2", "-o", f"compat={compat}", raw, "disk.qcow2", cwd=folder)
        return "disk.qcow2", "qcow2", contents
    qemu_img("convert", "-f", "raw", "-O", "qcow2", raw, "base.qcow2", cwd=folder)
    qemu_img("create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "disk.qcow2", cwd=folder)
    return "disk.qcow2", "qcow2", contents


def disk_command(emulator, elf, image, fmt, smp=1, slot=0, iothread=False, transport="legacy"):
    """The command line (QEMU's spelling, which locklab shares) that runs `elf` with `image` as a
    virtio-blk disk on virtio-mmio-bus.`slot`. Also used by blk_crash.py and experiments/blk_bench."""
    cmd = list(emulator) + ["-machine", "virt", "-nographic", "-bios", "none", "-smp", str(smp),
                            "-m", "128M", "-kernel", elf,
                            "-drive", f"file={image},if=none,format={fmt},id=d0"]
    device = f"virtio-blk-device,drive=d0,bus=virtio-mmio-bus.{slot}"
    if iothread:
        cmd += ["-object", "iothread,id=io0"]
        device += ",iothread=io0"
    cmd += ["-device", device]
    if transport == "modern":
        cmd += ["-global", "virtio-mmio.force-legacy=false"]
    return cmd


def run(cmd, timeout, cwd):
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout, cwd=cwd, check=False)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout or ""
        raise Failed(f"no exit within {timeout:g} s: {' '.join(cmd)}\n{out}") from exc
    except OSError as exc:
        raise Failed(f"cannot run {cmd[0]}: {exc}") from exc
    if proc.returncode != 0:
        raise Failed(f"exit status {proc.returncode}: {' '.join(cmd)}\n--- stdout ---\n{proc.stdout}"
                     f"--- stderr ---\n{proc.stderr}")
    return proc.stdout


def apply_writes(contents, output):
    image = bytearray(contents)
    writes = [tuple(map(int, m)) for m in re.findall(r"^blk write (\d+) (\d+) (\d+)$", output, re.M)]
    if not writes:
        raise Failed("the guest logged no writes")
    for sector, count, seed in writes:
        for s in range(sector, sector + count):
            image[s * SECTOR:(s + 1) * SECTOR] = pattern_sector(seed, s)
    return bytes(image)


def check_run(args, folder, image, fmt, before, output):
    """Checks one run's output and the image it left; returns the expected contents now."""
    m = re.search(r"virtio-mmio version (\d+)", output)
    if not m or int(m[1]) != VERSION_OF[args.transport]:
        raise Failed(f"the guest did not see virtio-mmio version {VERSION_OF[args.transport]} "
                     f"({args.transport}):\n{output}")
    if args.no_writes:
        after = before
        if re.search(r"^blk write ", output, re.M):
            raise Failed(f"the guest logged writes, but --no-writes says it makes none:\n{output}")
    else:
        m = re.search(r"^disk digest (\d+) sectors 0x([0-9a-f]{8})$", output, re.M)
        want = digest(before)
        if not m or int(m[2], 16) != want:
            raise Failed(f"the guest read the disk differently: its digest line "
                         f"{m[0] if m else '(none)'!r}, the image's digest 0x{want:08x}")
        after = apply_writes(before, output)
    if fmt == "qcow2":
        proc = qemu_img("check", "-f", "qcow2", image, cwd=folder, check=False)
        if proc.returncode != 0:
            raise Failed(f"qemu-img check {image}: exit {proc.returncode}\n{proc.stdout}{proc.stderr}")
    expected = os.path.join(folder, "expected.raw")
    with open(expected, "wb") as f:
        f.write(after)
    proc = qemu_img("compare", "-f", fmt, "-F", "raw", image, expected, cwd=folder, check=False)
    if proc.returncode != 0:
        raise Failed(f"qemu-img compare {image} against the expected contents: exit {proc.returncode}\n"
                     f"{proc.stdout}{proc.stderr}")
    if args.format == "qcow2-backing":
        proc = qemu_img("compare", "-f", "qcow2", "-F", "raw", "base.qcow2", "initial.raw", cwd=folder,
                        check=False)
        if proc.returncode != 0:
            raise Failed(f"the backing file changed:\n{proc.stdout}{proc.stderr}")
        info = qemu_img("info", image, cwd=folder).stdout
        if not re.search(r"^backing file: base\.qcow2$", info, re.M):
            raise Failed(f"the overlay's backing file name changed:\n{info}")
    return after


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elf", required=True)
    parser.add_argument("--format", choices=FORMATS, required=True)
    parser.add_argument("--transport", choices=tuple(VERSION_OF), default="legacy")
    parser.add_argument("--smp", type=int, default=1)
    parser.add_argument("--slot", type=int, default=0, help="virtio-mmio-bus.N the disk goes on")
    parser.add_argument("--iothread", action="store_true", help="place the device in an IOThread")
    parser.add_argument("--no-writes", action="store_true",
                        help="a guest that must not change the disk (no digest, no write log)")
    parser.add_argument("--then", help="a second emulator that runs the guest on the image next")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per run")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- emulator and its arguments")
    args = parser.parse_args()
    emulator = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not emulator:
        parser.error("no emulator given (after --)")
    args.elf = os.path.abspath(args.elf)
    # the emulators run in the image folder: a relative path to them would no longer hold
    emulator[0] = os.path.abspath(emulator[0]) if os.sep in emulator[0] else emulator[0]
    if args.then and os.sep in args.then:
        args.then = os.path.abspath(args.then)

    folder = tempfile.mkdtemp(prefix="disk_guest.")
    try:
        image, fmt, contents = prepare(folder, args.format)
        runs = [emulator] + ([[args.then]] if args.then else [])
        for n, emu in enumerate(runs, 1):
            cmd = disk_command(emu, args.elf, image, fmt, args.smp, args.slot, args.iothread, args.transport)
            output = run(cmd, args.timeout, folder)
            try:
                contents = check_run(args, folder, image, fmt, contents, output)
            except Failed as exc:
                raise Failed(f"run {n} ({emu[0]}): {exc}") from exc
            print(f"run {n} ({os.path.basename(emu[0])}): PASS", flush=True)
        return 0
    except Failed as exc:
        sys.stderr.write(f"FAIL: {exc}\n(image folder: {folder})\n")
        args.keep = True
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
