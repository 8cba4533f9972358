#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: in-VM microbenchmarks of the lastwords primitives against
# their C anchors, measured in the same boot (samples/lw_bench), printed as a
# table of medians of 5 rounds and Rust/C ratios. ITERATIONS (default 10^6)
# per round. Then the pstore write path, lw_efi_pstore against the C
# efi_pstore (scripts/bench-pstore-guest.sh), with the log of a fresh boot and
# with the log ring full, each with a profile of a dump part's steps; the
# read path, mounting and erasing at 50, 300 and 1000 variables against the
# C efi_pstore (scripts/bench-read.sh); then APEI (scripts/bench-apei.sh): the error status queue's enqueue against its
# C floor (lw_bench's apei_queue) and the storm throughput (lw_apei_test).
# Benchmarks, not tests: no pass/fail threshold. Without KERNEL= or KDIR=,
# on both kernels, 7.3 then 6.12, each with its modules built first.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"
if [ -z "${KERNEL:-}" ] && [ -z "${KDIR:-}" ]; then
	for k in 7.3 6.12; do
		echo
		echo "## Linux $k"
		KERNEL=$k "$0" "$@"
	done
	exit 0
fi
lw_say "bench: building the modules (${KDIR:-Linux $LW_KERNEL})"
mkdir -p "$LW_CACHE"
"$here/scripts/modules.sh" >"$LW_CACHE/bench-modules.log" 2>&1 ||
	{ cat "$LW_CACHE/bench-modules.log"; lw_die "bench: building the modules failed"; }
iters=${ITERATIONS:-1000000}
log=$LW_LOGS/bench-$(date +%Y%m%d-%H%M%S)

lw_say "bench: booting the lockdep kernel (TCG) with lw_bench, $iters iterations x 5 rounds"
"$here/scripts/vm.sh" --log "$log" --timeout 1800 -- "
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
	insmod ./lw_bench.ko || exit 10
	echo $iters >/sys/kernel/debug/lw_bench/run || exit 11
	rmmod lw_bench
" || { tail -30 "$log/console.log"; lw_die "bench VM failed (logs: $log)"; }

python3 - "$log/dmesg.log" "$iters" <<'PY'
import re, statistics, sys
path, iters = sys.argv[1], int(sys.argv[2])
s = {}
for line in open(path, errors="replace"):
    m = re.search(r"lw_bench: sample (\S+) (c|rust) (\d+)", line)
    if m:
        s.setdefault(m[1], {}).setdefault(m[2], []).append(int(m[3]))
labels = {
    "spinlock_irqsave": "SpinLockIrq lock+unlock vs spin_lock_irqsave/restore",
    "crash_trylock": "CrashLock try_lock+drop vs atomic_try_cmpxchg_acquire/set_release",
    "crash_trylock_cpu_tag": "CrashLock try_lock_here (CPU owner tag) vs the same C",
}
print(f"\nlastwords microbenchmarks: median of 5 rounds x {iters} iterations, one boot")
print("(lockdep kernel under TCG: absolute times are emulated; compare the ratios)\n")
print(f"| {'case':<70} | {'C ns/op':>8} | {'Rust ns/op':>10} | {'Rust/C':>6} |")
print(f"|{'-'*72}|{'-'*10}|{'-'*12}|{'-'*8}|")
for case, label in labels.items():
    if case not in s or len(s[case].get("c", [])) < 5 or len(s[case].get("rust", [])) < 5:
        sys.exit(f"bench: missing samples for {case}")
    c = statistics.median(s[case]["c"]) / iters
    r = statistics.median(s[case]["rust"]) / iters
    print(f"| {label:<70} | {c:>8.1f} | {r:>10.1f} | {r / c:>5.2f}x |")

print(f"\nraw samples: {path}")
PY

# The pstore write path in two VMs, each with a fresh NVRAM: the log of a
# fresh boot, then the log ring full as on a machine up for a while.
for scenario in boot full; do
	lw_say "bench: pstore write path, C efi_pstore vs lw_efi_pstore, same boot, $scenario log"
	plog=$log-pstore-$scenario
	"$here/scripts/vm.sh" --log "$plog" --timeout 1800 -- "bash scripts/bench-pstore-guest.sh 5 $scenario" ||
		{ tail -30 "$plog/console.log"; lw_die "bench VM failed (logs: $plog)"; }
	python3 - "$plog/out.log" "$scenario" <<'PY'
import re, statistics, sys
path, scenario = sys.argv[1], sys.argv[2]
s, p, log, memory = {}, {}, "?", "?"
for line in open(path, errors="replace"):
    line = line.strip()
    m = re.match(r"sample (\S+) (\d+) (\d+) (\d+) (-?\d+)$", line)
    if m:
        s.setdefault(m[1], []).append(tuple(int(m[i]) for i in range(2, 6)))
    m = re.match(r"profile (\S+) (\d+)(?: (\d+))?$", line)
    if m:
        p.setdefault(m[1], []).append((int(m[2]), int(m[3] or 0)))
    m = re.match(r"memory (.+)$", line)
    if m:
        memory = m[1]
    m = re.match(r"log (\d+) lines, (\d+) bytes$", line)
    if m:
        log = f"{m[1]} lines, {int(m[2]) // 1024} KiB"
for k in ("none", "c", "rust"):
    if len(s.get(k, [])) < 5:
        sys.exit(f"bench: missing pstore samples for {k}")
if not p:
    sys.exit("bench: missing profile samples")
title = {"boot": "the log of a fresh boot", "full": "the log ring full"}[scenario]
print(f"\n=== {title}: dmesg shows {log} ===")
print(f"\nwhere a dump part's time goes (median of {len(next(iter(p.values())))}):\n")
what = {
    "fetch_all": "kmsg_dump_get_buffer() of {} bytes, whole log walked (pstore's core)",
    "fetch_window": "kmsg_dump_get_buffer() of {} bytes, newest-128-record window (ours)",
    "deflate": "deflate of {} bytes of log text",
    "dense": "dense: deflate after the dictionary of {} bytes (state restored)",
    "setvar": "SetVariable (non-blocking) of a {}-byte variable",
}
print(f"| {'step':<72} | {'us':>8} |")
print(f"|{'-'*74}|{'-'*10}|")
for case, xs in p.items():
    kind, size = case.rsplit("_", 1)
    us = statistics.median(x[0] for x in xs) / 1e3
    label = what.get(kind, kind + " {}").format(size)
    if kind in ("deflate", "dense"):
        label += f" (to {xs[0][1]})"
    print(f"| {label:<72} | {us:>8.0f} |")
med = lambda k, i: statistics.median(x[i] for x in s[k])
base = med("none", 0)
row = {}
for k in ("c", "rust"):
    t, parts, nbytes, nvram = (med(k, i) for i in range(4))
    us = (t - base) / 1e3
    row[k] = (us / parts if parts else float("nan"), us, parts, nbytes, nvram,
              nbytes / nvram if nvram > 0 else float("nan"),
              us / (nbytes / 1024) if nbytes else float("nan"))
print("\npstore write path: an oops dump (median of 5), same boot, same kmsg_bytes budget;")
print("time = dump time with the backend - dump time with no backend; NVRAM = the")
print("firmware's remaining variable store before - after the dump\n")
print(f"| {'backend':<14} | {'us/part':>8} | {'us/dump':>8} | {'us/log KiB':>10} | {'parts':>5} "
      f"| {'log bytes back':>14} | {'NVRAM bytes':>11} | {'log bytes/NVRAM byte':>20} |")
print(f"|{'-'*16}|{'-'*10}|{'-'*10}|{'-'*12}|{'-'*7}|{'-'*16}|{'-'*13}|{'-'*22}|")
for k, label in (("c", "C efi_pstore"), ("rust", "lw_efi_pstore")):
    per, us, parts, nbytes, nvram, dens, perkib = row[k]
    print(f"| {label:<14} | {per:>8.0f} | {us:>8.0f} | {perkib:>10.0f} | {parts:>5.0f} "
          f"| {nbytes:>14.0f} | {nvram:>11.0f} | {dens:>20.2f} |")
r, c = row["rust"], row["c"]
print(f"\nratios lw_efi_pstore / C ({scenario} log): time per part {r[0] / c[0]:.2f}x, "
      f"time per dump {r[1] / c[1]:.2f}x, time per KiB of log {r[6] / c[6]:.2f}x, "
      f"log bytes recovered per dump {r[3] / c[3]:.2f}x, per NVRAM byte {r[5] / c[5]:.2f}x")
print(f"lw_efi_pstore's dump buffers (default settings): {memory}")
print(f"raw samples: {path}")
PY
done

# The pstore read path: mount and erase, at 50, 300 and 1000 variables.
"$here/scripts/bench-read.sh" "$log"

"$here/scripts/bench-apei.sh"
