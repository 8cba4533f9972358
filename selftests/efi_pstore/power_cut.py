# SPDX-License-Identifier: GPL-2.0
"""Cuts a VM's power in the middle of a dense dump, at a moment the flash
holds parts 1..m (m >= 2) whole: watches the variable flash file FLASH of
the VM whose QEMU wrote its pid to PIDFILE, while process VM (the boot)
lives. Once the store holds parts 1 and 2, it stops QEMU (SIGSTOP, and
waits until every thread has stopped: no flash write goes on, whatever
the firmware was doing) and looks at the still flash: if it holds parts
1..m whole (each added, under the crash GUID, decoding to the text its
header describes), no part added but damaged, and no header or added
name cut off by a rewrite in progress, it kills QEMU
(SIGKILL: the power cut) and writes that flash to SNAPSHOT; otherwise it
lets QEMU go on (SIGCONT) and looks again.

Why stop and look: on AAVMF a variable write rewrites the whole 256 KiB
block that holds the store (edk2_store.py), and a cut in the middle of it
loses the store from the rewrite's cursor on, parts long written too; a
cut at an arbitrary moment there tests the flash driver, not the dump.
OVMF writes a variable in place, so there the first look is still.

Usage: power_cut.py FLASH PIDFILE VM SNAPSHOT. Prints "cut: parts 1..m"
and the number of looks; exit 0 on a cut, 1 if the boot ended first (or
the flash changed after the kill)."""

import os
import re
import signal
import struct
import sys
import time
import zlib

import edk2_store
import lw_vars

PART = re.compile(r"lw-dense2-type0-(\d+)-\d+-\d+$")
CRASH_GUID = "cfc8fc79-be2e-4ddc-97f0-9f98bfe298a0"
# The store and its volume header lie in the flash's first MiB (OVMF's
# volume: 528 KiB, AAVMF's: 768 KiB).
HEAD = 1 << 20


def read(path):
    with open(path, "rb") as f:
        return bytearray(f.read(HEAD))


def parts(img):
    """Part number -> whether it is whole (under the crash GUID, its data
    decoding to the text its header describes), for the dump's added parts;
    None if the flash is caught in the middle of a rewrite: no valid store,
    a header cut off, or an added variable whose name was cut off (a cut
    there would lose what follows)."""
    try:
        added = [v for v in edk2_store.walk(img) if v.added]
    except ValueError:
        return None
    out = {}
    for v in added:
        if not v.name_whole:
            return None
        m = PART.match(v.name)
        if not m:
            continue
        ok = v.guid == CRASH_GUID
        if ok:
            try:
                lw_vars.decode_part(v.data)
            except (ValueError, struct.error, zlib.error):
                ok = False
        out[int(m.group(1))] = ok
    return out


def whole(p):
    """m if `p` is parts 1..m, m >= 2, all decoding; else 0."""
    if not p or not all(p.values()) or sorted(p) != list(range(1, len(p) + 1)):
        return 0
    return len(p) if len(p) >= 2 else 0


def qemu(pidfile):
    try:
        with open(pidfile) as f:
            p = int(f.read().strip())
        with open("/proc/%d/cmdline" % p, "rb") as f:
            return p if pidfile.encode() in f.read() else None
    except (OSError, ValueError):
        return None


def stopped(p):
    """Every thread of process `p` has stopped (or is gone): a thread in
    the middle of a write stops only once the write is done."""
    try:
        tids = os.listdir("/proc/%d/task" % p)
    except OSError:
        return True
    for t in tids:
        try:
            with open("/proc/%d/task/%s/stat" % (p, t)) as f:
                st = f.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if st not in ("T", "t", "Z", "X"):
            return False
    return True


def alive(p):
    try:
        with open("/proc/%d/stat" % p) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def main(path, pidfile, vm, snapshot):
    q, looks = None, 0
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline and alive(vm):
        q = q or qemu(pidfile)
        p = parts(read(path))
        if q is not None and p and p.get(1) and p.get(2):
            os.kill(q, signal.SIGSTOP)
            looks += 1
            killed = False
            try:
                t = time.monotonic() + 10
                while not stopped(q) and time.monotonic() < t:
                    time.sleep(0.001)
                still = read(path)
                m = whole(parts(still)) if stopped(q) else 0
                if m:
                    os.kill(q, signal.SIGKILL)
                    killed = True
                    while alive(q):
                        time.sleep(0.01)
                    with open(snapshot, "wb") as f:
                        f.write(still)
                    print("cut: parts 1..%d whole in the flash (look %d)" % (m, looks))
                    if read(path) != still:
                        print("the flash changed after the cut")
                        return 1
                    return 0
            finally:
                if not killed:
                    os.kill(q, signal.SIGCONT)
        time.sleep(0.005)
    print("the boot ended before the cut (%d looks)" % looks if not alive(vm) else "timeout")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]))
