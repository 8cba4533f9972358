#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`'s read path: mounting pstore (reading every record) and
# erasing every record, lw_efi_pstore against the C efi_pstore reading and
# erasing as many of its own records, at 50, 300 and 1000 variables (tiny
# one-part records, so that 1000 fit OVMF's variable store). EDK2 reclaims
# a deleted variable's space only at the next boot, so each backend and
# size boots once, on a fresh NVRAM, in this one bench run, in turn (C,
# then ours, per size). Prints a table of medians (of 11 mounts, after one
# untimed; the erase once) and ratios, and each backend's growth from 50 to 1000 variables
# (linear: about 20x). A benchmark: no pass/fail threshold.
# Usage: bench-read.sh LOGDIR (from bench.sh; modules built)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"
log=$1
guid=cfc8fc79-be2e-4ddc-97f0-9f98bfe298a0
t=1764000000
rounds=${LW_READ_ROUNDS:-11}
sizes=${LW_READ_SIZES:-50 300 1000}
for n in $sizes; do
	for backend in c rust; do
		lw_say "bench: read path, $backend, $n variables"
		d=$log-read-$backend-$n
		mkdir -p "$d/vars"
		PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$here/selftests/efi_pstore python3 - \
			"$d/vars" "$here/rust/core/dict/kmsg1.dict" "$backend" "$n" "$t" <<'PY'
import sys
from lw_vars import Vars
v = Vars(sys.argv[1], sys.argv[2])
backend, n, t = sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
for i in range(1, n + 1):
    text = b"Oops#%d Part1\nlw-bench %d\n" % (i, i)
    if backend == "c":
        v.put("dump-type0-1-%d-%d-D" % (i, t + i), text)
    else:
        v.put("lw-dense1-type0-1-%d-%d" % (i, t + i), v.part(text, method=0))
v.close()
PY
		"$here/scripts/vm.sh" --log "$d" --nvram "$d/nvram.fd" --timeout 1800 -- \
			"bash scripts/bench-read-guest.sh $backend $rounds $guid" ||
			{ tail -30 "$d/console.log"; lw_die "bench VM failed (logs: $d)"; }
	done
done
python3 - "$log" "$rounds" $sizes <<'PY'
import re, statistics, sys
log, rounds = sys.argv[1], sys.argv[2]
sizes = [int(n) for n in sys.argv[3:]]
rows = {}
for n in sizes:
    for b in ("c", "rust"):
        path = f"{log}-read-{b}-{n}/out.log"
        mounts, erase, files, left = [], None, None, None
        for line in open(path, errors="replace"):
            m = re.match(r"sample \S+ mount (\d+) (\d+)$", line.strip())
            if m:
                mounts.append(int(m[1]))
                files = int(m[2])
            m = re.match(r"sample \S+ erase (\d+) (\d+)$", line.strip())
            if m:
                erase, left = int(m[1]), int(m[2])
        if not mounts or erase is None:
            sys.exit(f"bench: missing read samples in {path}")
        rows[(b, n)] = (statistics.median(mounts) / 1e6, erase / 1e6, files, left)
print(f"\npstore read path: mount (median of {rounds}) and erase of every record, the C")
print("efi_pstore on its own records vs lw_efi_pstore on dense ones, one boot each\n")
print(f"| {'variables':>9} | {'C mount ms':>10} | {'ours mount ms':>13} | {'ratio':>6} "
      f"| {'C erase ms':>10} | {'ours erase ms':>13} | {'ratio':>6} | {'files C/ours':>12} |")
print(f"|{'-'*11}|{'-'*12}|{'-'*15}|{'-'*8}|{'-'*12}|{'-'*15}|{'-'*8}|{'-'*14}|")
for n in sizes:
    c, r = rows[("c", n)], rows[("rust", n)]
    print(f"| {n:>9} | {c[0]:>10.0f} | {r[0]:>13.0f} | {r[0] / c[0]:>5.2f}x "
          f"| {c[1]:>10.0f} | {r[1]:>13.0f} | {r[1] / c[1]:>5.2f}x | {c[2]:>5}/{r[2]:<6} |")
lo, hi = sizes[0], sizes[-1]
for b, label in (("c", "C efi_pstore"), ("rust", "lw_efi_pstore")):
    if hi > lo:
        m = rows[(b, hi)][0] / rows[(b, lo)][0]
        e = rows[(b, hi)][1] / rows[(b, lo)][1]
        print(f"{label}: {hi} vs {lo} variables: mount {m:.1f}x, erase {e:.1f}x "
              f"(linear: {hi / lo:.0f}x)")
    if rows[(b, hi)][3]:
        print(f"{label}: {rows[(b, hi)][3]} files left after the erase")
PY
