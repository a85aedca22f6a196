#!/usr/bin/env python3
"""Boot Debian's U-Boot for QEMU's virt board (M-mode build, u-boot-qemu) and let it read and write a
FAT file system on a virtio-blk disk (CTest): third-party firmware with its own virtio-mmio and
virtio-blk drivers, run unchanged, as `qemu-system-riscv64 -M virt -bios none -kernel uboot.elf`.

    run_uboot.py --uboot uboot.elf --format raw|qcow2 [--transport legacy|modern] [--iothread]
                 [--bios FIRMWARE] [--timeout S] -- EMULATOR [ARGS...]

With --bios (OpenSBI's fw_jump), U-Boot is the S-mode build (u-boot.bin) that the firmware jumps to,
as in `qemu-system-riscv64 -M virt -bios fw_jump.elf -kernel u-boot.bin`; its poweroff goes
through the SBI system-reset call to the firmware.

In a temporary folder: a 32 MiB disk with an MBR and one FAT16 partition holding data.bin (300 KiB
of seeded random bytes) and boot.scr.uimg, which U-Boot's default boot command (distro boot: it
scans virtio 0) finds and runs:
    fatload data.bin; crc32 of it; fatwrite it back as copy.bin; poweroff.
For qcow2 the disk is converted with qemu-img first. Then:
  - the emulator exits with status 0 after printing the script's end marker;
  - the CRC32 U-Boot computed equals data.bin's (it read every byte right);
  - `qemu-img check` finds no error or leak (qcow2), and copy.bin on the disk equals data.bin (it
    wrote every byte right, through the partition's FAT).

Exit status 0 when everything holds, 1 otherwise (the reason on stderr).
"""

import argparse
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

DISK_BYTES = 32 * 1024 * 1024
PART_START = 2048  # sectors: the partition starts at 1 MiB
DATA_BYTES = 300 * 1024
BOOT_SCRIPT = """echo UBOOT-SCRIPT-START
fatload virtio 0:1 ${kernel_addr_r} data.bin
crc32 ${kernel_addr_r} ${filesize}
fatwrite virtio 0:1 ${kernel_addr_r} copy.bin ${filesize}
echo UBOOT-SCRIPT-DONE
poweroff
"""


def fail(why):
    print(f"FAIL: {why}", file=sys.stderr)
    sys.exit(1)


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        fail(f"{' '.join(cmd)} exited {p.returncode}: {(p.stdout + p.stderr).strip()[-400:]}")
    return p.stdout


def make_disk(folder):
    """The raw disk (MBR + FAT16 partition with data.bin and boot.scr.uimg) and data.bin's bytes."""
    data = random.Random(7).randbytes(DATA_BYTES)
    with open(os.path.join(folder, "data.bin"), "wb") as f:
        f.write(data)
    with open(os.path.join(folder, "boot.cmd"), "w") as f:
        f.write(BOOT_SCRIPT)
    run(["mkimage", "-A", "riscv", "-T", "script", "-C", "none", "-d", os.path.join(folder, "boot.cmd"),
         os.path.join(folder, "boot.scr.uimg")])
    mbr = bytearray(512)
    sectors = DISK_BYTES // 512 - PART_START
    mbr[446:462] = struct.pack("<B3sB3sII", 0x80, b"\0\0\0", 0x0E, b"\0\0\0", PART_START, sectors)  # FAT16 LBA
    mbr[510:512] = b"\x55\xaa"
    disk = os.path.join(folder, "disk.img")
    with open(disk, "wb") as f:
        f.write(mbr)
        f.truncate(DISK_BYTES)
    part = f"{disk}@@{PART_START * 512}"
    run(["mformat", "-i", part, "-v", "LOCKLAB", "::"])
    run(["mcopy", "-i", part, os.path.join(folder, "boot.scr.uimg"), os.path.join(folder, "data.bin"), "::"])
    return disk, data


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--uboot", required=True)
    ap.add_argument("--format", choices=("raw", "qcow2"), default="raw")
    ap.add_argument("--transport", choices=("legacy", "modern"), default="legacy")
    ap.add_argument("--iothread", action="store_true")
    ap.add_argument("--bios", help="M-mode firmware (OpenSBI fw_jump); --uboot is then the S-mode build")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("emulator", nargs="+")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="uboot.") as tmp:
        raw, data = make_disk(tmp)
        image = raw
        if args.format == "qcow2":
            image = os.path.join(tmp, "disk.qcow2")
            run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, image])
        device = "virtio-blk-device,drive=d0" + (",iothread=io0" if args.iothread else "")
        cmd = args.emulator + ["-machine", "virt", "-nographic", "-bios", args.bios or "none", "-m", "256M",
                               "-kernel", args.uboot,
                               "-drive", f"file={image},if=none,format={args.format},id=d0", "-device", device]
        if args.iothread:
            cmd += ["-object", "iothread,id=io0"]
        if args.transport == "modern":
            cmd += ["-global", "virtio-mmio.force-legacy=false"]
        try:
            p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=args.timeout)
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            fail(f"timed out after {args.timeout:.0f} s; output ends with:\n{out[-1500:]}")
        out = p.stdout + p.stderr
        if p.returncode != 0 or "UBOOT-SCRIPT-DONE" not in out:
            fail(f"exit status {p.returncode}, script end marker {'seen' if 'UBOOT-SCRIPT-DONE' in out else 'missing'}; "
                 f"output ends with:\n{out[-1500:]}")
        m = re.search(r"crc32 for [0-9a-f]+ \.\.\. [0-9a-f]+ ==> ([0-9a-f]{8})", out)
        if not m:
            fail(f"no crc32 line in U-Boot's output:\n{out[-1500:]}")
        want = f"{zlib.crc32(data):08x}"
        if m[1] != want:
            fail(f"U-Boot read data.bin with CRC32 {m[1]}, the file's is {want}")
        if args.format == "qcow2":
            check = subprocess.run(["qemu-img", "check", image], capture_output=True, text=True)
            if check.returncode != 0:
                fail(f"qemu-img check: exit {check.returncode}\n{check.stdout}{check.stderr}")
            raw = os.path.join(tmp, "after.img")
            run(["qemu-img", "convert", "-f", "qcow2", "-O", "raw", image, raw])
        copy = os.path.join(tmp, "copy.bin")
        run(["mcopy", "-n", "-i", f"{raw}@@{PART_START * 512}", "::copy.bin", copy])
        with open(copy, "rb") as f:
            if f.read() != data:
                fail("copy.bin, written by U-Boot's fatwrite, differs from data.bin")
        print(f"PASS: U-Boot read data.bin (CRC32 {want}) and wrote copy.bin over virtio-blk "
              f"({args.format}, {args.transport}{', iothread' if args.iothread else ''}"
              f"{', under ' + os.path.basename(args.bios) if args.bios else ''})")


if __name__ == "__main__":
    main()
