#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: in-VM microbenchmarks of the lastwords primitives against
# their C anchors, measured in the same boot (samples/lw_bench), printed as a
# table of medians of 5 rounds and Rust/C ratios. ITERATIONS (default 10^6)
# per round. Then the pstore write path, lw_efi_pstore against the C
# efi_pstore (scripts/bench-pstore.sh), each dump a kernel log and an oops:
# LOG="FILE..." (your machines' logs), else this VM's own boot log and
# samples/logs/'s real machines' logs, with a profile of a dump part's
# steps; with a crash kernel loaded, the time the dumps add before the
# kexec (scripts/bench-kdump.sh); the read path, mounting and erasing at 50, 300 and 1000 variables against the
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

# The pstore write path: one VM, fresh NVRAM, on kernel logs (LOG=, or
# this VM's own and samples/logs/'s real machines' logs).
"$here/scripts/bench-pstore.sh" "$log"

# kdump: the time the dumps add before the kexec (post notifiers), none,
# C and ours.
"$here/scripts/bench-kdump.sh" "$log"

# The pstore read path: mount and erase, at 50, 300 and 1000 variables.
"$here/scripts/bench-read.sh" "$log"

"$here/scripts/bench-apei.sh"
