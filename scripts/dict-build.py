#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Builds the preset dictionary of lw_efi_pstore's dense records
# (rust/efi_pstore/kmsg.dict; Documentation/efi_pstore.rst, "Dense
# records") from kernel logs: dict-build.py [--size N] LOG... >kmsg.dict
#
# The dictionary is text that deflate may refer back to from the first byte
# of every part: the lines that recur across many logs. Each log's lines are
# taken without their timestamps; a line scores the number of logs it occurs
# in times its length; the best lines, each given a timestamp of the usual
# shape, fill the dictionary, best last (the shortest distances). Lines that
# name the build machine (paths under /root, virtme-ng's command line) are
# left out. Deterministic: the same logs give the same dictionary.
import argparse
import collections
import re
import sys

TS = re.compile(r"^\[\s*\d+\.\d+\] ")
PRIVATE = ("virtme", "/root/", "Command line", "/home/", "/tmp/")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=32768)
    ap.add_argument("logs", nargs="+")
    a = ap.parse_args()
    df = collections.Counter()
    for path in a.logs:
        seen = set()
        with open(path, errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                if not TS.match(line) or any(p in line for p in PRIVATE):
                    continue
                msg = TS.sub("", line)
                if msg and msg.isascii() and msg not in seen:
                    seen.add(msg)
                    df[msg] += 1
    ranked = sorted(df, key=lambda m: (df[m] * (len(m) + 1), m), reverse=True)
    picked, n = [], 0
    for msg in ranked:
        if df[msg] < 2:
            break
        line = "[    1.000000] " + msg + "\n"
        if n + len(line) > a.size:
            continue
        picked.append(line)
        n += len(line)
    sys.stdout.write("".join(reversed(picked)))
    print(f"dict-build: {n} bytes, {len(picked)} lines from {len(a.logs)} logs",
          file=sys.stderr)


if __name__ == "__main__":
    main()
