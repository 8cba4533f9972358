#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Host emulation of one dump's log per NVRAM byte, dense records against the
# C efi_pstore, for candidate dictionaries (issue #26's question before a
# dictionary goes into a format version):
#
#   dict-eval.py [--dict NAME=FILE]... LOG...
#
# Each LOG is a dmesg ("[    1.234567] text" lines); its lines get the
# prefix a line written to /dev/kmsg gets (<14>), as in make bench-pstore.
# A dump fills kmsg_bytes (10240) of NVRAM from the newest line back: dense
# parts of 4096 bytes, each the most newest lines that deflate (level 9,
# memLevel 7, after the dictionary; version 2's line codec for coded
# dictionaries) into the part, against the C backend's 1 KiB parts (level 6,
# no dictionary); 100 bytes of variable overhead each. Prints, per log, the
# C backend's log per NVRAM byte and each dictionary's ratio to it: version
# 1 and 2 (rust/core/dict/), version 1's coded (v1c, version 2's
# alternate), the --dict ones (coded as version 2), and with --best A,B
# each part the smaller of two (the writer: --best v2,v1c). An
# emulation with Python's zlib, not the module: use it to compare
# dictionaries, and make bench-pstore for the figures.
import argparse
import os
import re
import sys
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "selftests", "efi_pstore"))
import lw_vars  # noqa: E402

TS = re.compile(rb"^\[\s*(\d+)\.(\d+)\] ?")
HEADER = b"Oops#1 Part1\n"


def load(path):
    out = []
    with open(path, "rb") as f:
        for line in f.read().split(b"\n"):
            m = TS.match(line)
            if m:
                out.append(b"<14>[%5d.%s] " % (int(m.group(1)), m.group(2)) + line[m.end():] + b"\n")
    return out


def dense_size(zd, text, coded):
    data = lw_vars.encode_lines(text) if coded else text
    c = zlib.compressobj(9, zlib.DEFLATED, -15, 7, zdict=zd)
    return len(c.compress(data) + c.flush())


def c_size(text):
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return len(c.compress(text) + c.flush())


def dump(lines, size, room, budget=10240, overhead=100):
    """Log bytes per NVRAM byte of one dump: parts from the newest line
    back, each the most lines whose size(text) fits in room."""
    end, used, text = len(lines), 0, 0
    while end > 0 and used < budget:
        lo, hi = 1, min(end, 4000)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if size(HEADER + b"".join(lines[end - mid:end])) <= room:
                lo = mid
            else:
                hi = mid - 1
        part = b"".join(lines[end - lo:end])
        text += len(part)
        used += size(HEADER + part) + overhead
        end -= lo
    return text / used


def main():
    ap = argparse.ArgumentParser(description="dense dictionaries against the C backend, emulated")
    ap.add_argument("--dict", action="append", default=[], help="NAME=FILE, coded as version 2")
    ap.add_argument("--best", action="append", default=[],
                    help="A,B: per part, the smaller of dictionaries A and B (a method byte says which)")
    ap.add_argument("logs", nargs="+")
    a = ap.parse_args()
    # v1c: version 1's dictionary with coded text, version 2's alternate
    # (method 3); --best v2,v1c is what the writer does.
    dicts = {"v1": (lw_vars.dictionary(1), False), "v2": (lw_vars.dictionary(2), True),
             "v1c": (lw_vars.dictionary(1), True)}
    for d in a.dict:
        name, path = d.split("=", 1)
        with open(path, "rb") as f:
            dicts[name] = (f.read(), True)
    print(f"{'log':<24} {'C':>5} " + " ".join(f"{n:>7}" for n in list(dicts) + a.best))
    for path in a.logs:
        lines = load(path)
        c = dump(lines, c_size, 1024)
        r = [dump(lines, lambda t, zd=zd, k=k: dense_size(zd, t, k), 4096 - 12) / c for zd, k in dicts.values()]
        for b in a.best:
            ds = [dicts[n] for n in b.split(",")]
            r.append(dump(lines, lambda t: min(dense_size(zd, t, k) for zd, k in ds), 4096 - 12) / c)
        print(f"{os.path.basename(path)[:24]:<24} {c:>5.2f} " + " ".join(f"{x:>6.2f}x" for x in r))


if __name__ == "__main__":
    main()
