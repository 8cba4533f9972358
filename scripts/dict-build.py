#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Builds the preset dictionary of lw_efi_pstore's dense records, format
# version 2 (rust/core/dict/kmsg2.dict; Documentation/efi_pstore.rst,
# "Dense records"), from kernel logs of real machines:
#
#   dict-build.py [--size N] [--min-machines K] [--tail BYTES] LOG... >kmsg2.dict
#
# Each LOG is a dmesg as `dmesg` prints it ("[    1.234567] text" lines);
# every file counts as one machine. The dictionary is text that deflate may
# refer back to from the first byte of every part, so it should hold what
# most machines' logs share where a dump reads them: a dump holds the
# newest log, about 50 KiB of it at the default kmsg_bytes (10 KiB of NVRAM
# at about five bytes of log per byte), so only the last --tail bytes of
# each log count (default 48 KiB: the early boot lines of a long log, its
# memory map and ACPI tables, are rarely in a dump):
#
# 1. Each line's text (without its timestamp) is masked: MAC addresses and
#    hexadecimal runs of 8 digits or more (addresses, register values) are
#    zeroed, so that lines that differ only there count as one.
# 2. Privacy: only masked lines found on at least K machines (default 2) may
#    go in. A line that names one machine (a serial number, a host or user
#    name, a path in a home directory) is on one machine only; the kernel
#    command line is left out whole.
# 3. Selection (as zstd's COVER trainer does, over lines): the 8-byte
#    substrings of all logs are counted by the number of machines that have
#    them; greedily, the line whose substrings not yet covered count most is
#    taken, until the dictionary is full.
# 4. Each line is written as the line codec (rust/core/src/line_codec.rs)
#    codes a kernel line ("\x01" level "+" delta " " text), the most
#    valuable last (the shortest distances from the data).
#
# Deterministic: the same logs give the same dictionary.
import argparse
import collections
import heapq
import re
import sys

TS = re.compile(rb"^\[\s*\d+\.\d+\] ?")
MAC = re.compile(rb"\b[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}\b")
HEXRUN = re.compile(rb"[0-9a-f]{8,}")
# Lines never taken, whatever their count: the command line names disks and
# file systems, and is one line per machine anyway.
LEFT_OUT = (b"Command line:", b"command line:", b"BOOT_IMAGE", b"/home/", b"/root/")
D = 8
LINE_MAX = 200


def mask(msg):
    msg = MAC.sub(b"00:00:00:00:00:00", msg)
    return HEXRUN.sub(lambda m: b"0" * len(m.group(0)), msg)


def messages(path, tail=0):
    with open(path, "rb") as f:
        data = f.read()
    if tail and len(data) > tail:
        data = data[-tail:]
        data = data[data.find(b"\n") + 1:]
    for line in data.split(b"\n"):
        line = line.rstrip(b"\r")
        m = TS.match(line)
        if not m:
            continue
        msg = line[m.end():]
        if msg and not any(x in msg for x in LEFT_OUT):
            yield mask(msg)[:LINE_MAX]


def build(paths, size, min_machines, tail=0):
    grams = collections.Counter()
    lines = collections.Counter()
    for p in paths:
        msgs = set(messages(p, tail))
        seen = set()
        for m in msgs:
            lines[m] += 1
            for i in range(max(1, len(m) - D + 1)):
                seen.add(m[i:i + D])
        grams.update(seen)
    covered = set()

    def score(m):
        s = 0
        for g in {m[i:i + D] for i in range(len(m) - D + 1)}:
            if g not in covered and grams[g] >= min_machines:
                s += grams[g]
        return s

    heap = [(-score(m), m) for m in sorted(lines) if lines[m] >= min_machines]
    heapq.heapify(heap)
    picked, n = [], 0
    while heap:
        neg, m = heapq.heappop(heap)
        s = score(m)
        if s != -neg:
            # Stale: its substrings were covered since; back in line.
            if s > 0:
                heapq.heappush(heap, (-s, m))
            continue
        if s <= 0:
            break
        line = b"\x016+0 " + m + b"\n"
        if n + len(line) > size:
            continue
        picked.append(line)
        n += len(line)
        covered.update(m[i:i + D] for i in range(len(m) - D + 1))
    return b"".join(reversed(picked)), len(picked)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=32768)
    ap.add_argument("--min-machines", type=int, default=2)
    ap.add_argument("--tail", type=int, default=49152)
    ap.add_argument("logs", nargs="+")
    a = ap.parse_args()
    d, n = build(a.logs, a.size, a.min_machines, a.tail)
    sys.stdout.buffer.write(d)
    print(f"dict-build: {len(d)} bytes, {n} lines from {len(a.logs)} logs",
          file=sys.stderr)


if __name__ == "__main__":
    main()
