#!/usr/bin/env python3
"""Boot Linux under OpenSBI with its root file system on a virtio-blk disk (CTest): an unmodified
6.1 kernel's own virtio-mmio, virtio-blk and ext2 drivers, as on
`qemu-system-riscv64 -M virt -bios fw_jump.elf -kernel Image -append "root=/dev/vda ..."`.

    run_linux.py --guest-dir DIR --bios fw_jump.elf --format raw|qcow2 [--transport legacy|modern]
                 [--iothread] [--timeout S] -- EMULATOR [ARGS...]

DIR holds Image and init, built by scripts/build-linux-guest.sh DIR (which this script runs first:
it returns at once when they are up to date). In a temporary folder: a 32 MiB ext2 image (mke2fs -d)
with /init, /dev and /data.bin (300 KiB of seeded random bytes); for qcow2 converted with qemu-img.
The kernel mounts it as root and runs /init (tests/guests/linux/init.c), which prints data.bin's
CRC32, writes /copy.bin, fsyncs and powers off. Then:
  - the emulator exits with status 0 after init's end marker, and the CRC32 is data.bin's;
  - `qemu-img check` (qcow2) and `e2fsck -fn` find no error, and /copy.bin equals data.bin.

Exit status 0 when everything holds, 1 otherwise (the reason on stderr).
"""

import argparse
import os
import re
import subprocess
import tempfile

from boot_disk import (add_disk_options, as_format, back_to_raw, boot, check_copy, check_crc, data_bytes,
                       describe, fail, run)

BUILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "build-linux-guest.sh")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--guest-dir", required=True)
    ap.add_argument("--bios", required=True)
    add_disk_options(ap)
    args = ap.parse_args()

    run(["bash", BUILD, args.guest_dir])  # at once when up to date
    data = data_bytes()
    with tempfile.TemporaryDirectory(prefix="linux.") as tmp:
        root = os.path.join(tmp, "root")
        os.makedirs(os.path.join(root, "dev"))
        with open(os.path.join(root, "data.bin"), "wb") as f:
            f.write(data)
        with open(os.path.join(args.guest_dir, "init"), "rb") as src, open(os.path.join(root, "init"), "wb") as dst:
            dst.write(src.read())
        os.chmod(os.path.join(root, "init"), 0o755)
        raw = os.path.join(tmp, "rootfs.img")
        run(["mke2fs", "-q", "-F", "-t", "ext2", "-d", root, raw, "32M"])
        image = as_format(raw, args.format, tmp)
        out = boot(args, image, ["-bios", args.bios, "-kernel", os.path.join(args.guest_dir, "Image"),
                                 "-append", "console=ttyS0 root=/dev/vda rw init=/init"], "LINUX-INIT-DONE")
        m = re.search(r"LINUX-INIT crc32 ([0-9a-f]{8})", out)
        want = check_crc(m[1] if m else None, data, "init")
        raw = back_to_raw(image, args.format, tmp)
        fsck = fsck_complaint(raw)
        if fsck:
            fail(fsck)
        copy = os.path.join(tmp, "copy.bin")
        run(["debugfs", "-R", f"dump /copy.bin {copy}", raw])
        check_copy(copy, data, "the guest's init through ext2")
        print(f"PASS: Linux mounted its root from virtio-blk, init read data.bin (CRC32 {want}) and wrote "
              f"copy.bin ({describe(args)})")


def fsck_complaint(raw):
    """e2fsck -fn's complaint, or None when the file system is clean."""
    p = subprocess.run(["e2fsck", "-fn", raw], capture_output=True, text=True)
    return None if p.returncode == 0 else f"e2fsck -fn: exit {p.returncode}\n{p.stdout[-1500:]}"


if __name__ == "__main__":
    main()
