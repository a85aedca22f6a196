"""What run_uboot.py and run_linux.py share: third-party software booted on the virt board with one
virtio-blk disk, which reads data.bin (CRC32 printed), writes copy.bin and powers off."""

import argparse
import os
import random
import subprocess
import sys
import zlib

DATA_BYTES = 300 * 1024


def fail(why):
    print(f"FAIL: {why}", file=sys.stderr)
    sys.exit(1)


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        fail(f"{' '.join(cmd)} exited {p.returncode}: {(p.stdout + p.stderr).strip()[-600:]}")
    return p.stdout


def data_bytes():
    """data.bin: seeded random bytes, the same every run."""
    return random.Random(7).randbytes(DATA_BYTES)


def add_disk_options(ap: argparse.ArgumentParser):
    ap.add_argument("--format", choices=("raw", "qcow2"), default="raw")
    ap.add_argument("--transport", choices=("legacy", "modern"), default="legacy")
    ap.add_argument("--iothread", action="store_true")
    ap.add_argument("--timeout", type=float, default=90)
    ap.add_argument("emulator", nargs="+")


def as_format(raw, fmt, tmp):
    """The disk in the format asked for (qcow2: converted by qemu-img)."""
    if fmt == "raw":
        return raw
    image = os.path.join(tmp, "disk.qcow2")
    run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, image])
    return image


def boot(args, image, boot_args, marker):
    """Runs the emulator with the disk; fails unless it exits 0 after printing `marker`. Returns the
    output."""
    device = "virtio-blk-device,drive=d0" + (",iothread=io0" if args.iothread else "")
    cmd = args.emulator + ["-machine", "virt", "-nographic", "-m", "256M"] + boot_args + \
        ["-drive", f"file={image},if=none,format={args.format},id=d0", "-device", device]
    if args.iothread:
        cmd += ["-object", "iothread,id=io0"]
    if args.transport == "modern":
        cmd += ["-global", "virtio-mmio.force-legacy=false"]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        fail(f"timed out after {args.timeout:.0f} s; output ends with:\n{out[-2000:]}")
    out = p.stdout + p.stderr
    if p.returncode != 0 or marker not in out:
        fail(f"exit status {p.returncode}, end marker {'seen' if marker in out else 'missing'}; "
             f"output ends with:\n{out[-2000:]}")
    return out


def check_crc(seen, data, who):
    want = f"{zlib.crc32(data):08x}"
    if seen != want:
        fail(f"{who} read data.bin with CRC32 {seen or '(none printed)'}, the file's is {want}")
    return want


def back_to_raw(image, fmt, tmp):
    """The disk after the run as a raw file (qcow2: `qemu-img check` must pass first)."""
    if fmt == "raw":
        return image
    check = subprocess.run(["qemu-img", "check", image], capture_output=True, text=True)
    if check.returncode != 0:
        fail(f"qemu-img check: exit {check.returncode}\n{check.stdout}{check.stderr}")
    raw = os.path.join(tmp, "after.img")
    run(["qemu-img", "convert", "-f", "qcow2", "-O", "raw", image, raw])
    return raw


def check_copy(path, data, who):
    with open(path, "rb") as f:
        if f.read() != data:
            fail(f"copy.bin, written by {who}, differs from data.bin")


def describe(args):
    return f"{args.format}, {args.transport}{', iothread' if args.iothread else ''}"
