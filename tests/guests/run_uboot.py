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
import re
import struct
import tempfile

from boot_disk import (add_disk_options, as_format, back_to_raw, boot, check_copy, check_crc, data_bytes,
                       describe, run)

DISK_BYTES = 32 * 1024 * 1024
PART_START = 2048  # sectors: the partition starts at 1 MiB
BOOT_SCRIPT = """echo UBOOT-SCRIPT-START
fatload virtio 0:1 ${kernel_addr_r} data.bin
crc32 ${kernel_addr_r} ${filesize}
fatwrite virtio 0:1 ${kernel_addr_r} copy.bin ${filesize}
echo UBOOT-SCRIPT-DONE
poweroff
"""


def make_disk(folder, data):
    """The raw disk: an MBR and a FAT16 partition with data.bin and boot.scr.uimg."""
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
    return disk


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--uboot", required=True)
    ap.add_argument("--bios", help="M-mode firmware (OpenSBI fw_jump); --uboot is then the S-mode build")
    add_disk_options(ap)
    args = ap.parse_args()

    data = data_bytes()
    with tempfile.TemporaryDirectory(prefix="uboot.") as tmp:
        image = as_format(make_disk(tmp, data), args.format, tmp)
        out = boot(args, image, ["-bios", args.bios or "none", "-kernel", args.uboot], "UBOOT-SCRIPT-DONE")
        m = re.search(r"crc32 for [0-9a-f]+ \.\.\. [0-9a-f]+ ==> ([0-9a-f]{8})", out)
        want = check_crc(m[1] if m else None, data, "U-Boot")
        raw = back_to_raw(image, args.format, tmp)
        copy = os.path.join(tmp, "copy.bin")
        run(["mcopy", "-n", "-i", f"{raw}@@{PART_START * 512}", "::copy.bin", copy])
        check_copy(copy, data, "U-Boot's fatwrite")
        under = f", under {os.path.basename(args.bios)}" if args.bios else ""
        print(f"PASS: U-Boot read data.bin (CRC32 {want}) and wrote copy.bin over virtio-blk ({describe(args)}{under})")


if __name__ == "__main__":
    main()
