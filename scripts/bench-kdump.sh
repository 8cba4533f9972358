#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`'s kdump line: the time the kmsg dumps add before the kexec
# into the crash kernel, with crash_kexec_post_notifiers=1, for no backend,
# the C efi_pstore and lw_efi_pstore. Each round is one boot on a fresh
# NVRAM (the same work every round): the backend loaded, a crash kernel
# loaded (selftests/kdump/kdump.sh), the log cleared, the same 400 lines of
# log written to /dev/kmsg, then lw_crash_test's panic_task; the crash
# kernel reads, from the vmcore's log, the time from the panic message to
# lw_crash_test's "kmsg dumpers done" (its dumper runs after the backend's).
# Rounds interleave the backends; two boots at a time. Prints a table of
# medians and the ratio ours/C. A benchmark: no threshold.
#
# Usage: bench-kdump.sh [LOGDIR] (modules built; bench.sh builds them)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"
log=${1:-$LW_LOGS/bench-$(date +%Y%m%d-%H%M%S)}-kdump
rounds=${LW_BENCH_ROUNDS:-5}
mkdir -p "$log"
# The kdump glue of the tests (crash kernel image, initramfs, arguments).
lw_repo=$here
lw_fail() { lw_die "bench: kdump: $*"; }
. "$here/selftests/kdump/kdump.sh"

lw_say "bench: kdump, time the dumps add before the kexec: none, C efi_pstore, lw_efi_pstore x $rounds rounds"
declare -A load=([none]=: [c]='modprobe efi_pstore' [rust]='insmod ./lw_efi_pstore.ko')
runs=()
for i in $(seq 1 "$rounds"); do
	for be in none c rust; do
		runs+=("$be-$i")
	done
done
one() {
	local be=${1%-*} d=$log/$1 marker=lw-bench-kdump-$1-$RANDOM
	"$here/scripts/vm.sh" --log "$d" --timeout 600 --append "$(lw_kdump_boot_args post)" -- "
		mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
		${load[$be]} || exit 10
		insmod ./lw_crash_test.ko || exit 12
		$(lw_guest_kdump_load "$marker") || exit 13
		dmesg -C
		i=0; while [ \$i -lt 400 ]; do echo \"<6>lw-bench-kdump line \$i of the same 400 each round\" >/dev/kmsg; i=\$((i + 1)); done
		echo '$marker' >/dev/kmsg
		/bin/echo panic_task >/sys/kernel/debug/lw_crash/run
	" >/dev/null 2>&1 || true
	echo "sample $be $(lw_kdump_dump_ms "$d") $(lw_kdump_capture "$d" "$marker" | cut -d' ' -f1)" >"$d.sample"
}
pids=()
for r in "${runs[@]}"; do
	one "$r" &
	pids+=($!)
	if [ ${#pids[@]} -ge "${LW_BENCH_VMS:-2}" ]; then
		wait "${pids[0]}"
		pids=("${pids[@]:1}")
	fi
done
wait
cat "$log"/*.sample >"$log/out.log"
python3 - "$log/out.log" "$rounds" <<'PY'
import statistics, sys
path, rounds = sys.argv[1], int(sys.argv[2])
s, bad = {}, []
for line in open(path):
    _, be, ms, cap = line.split()
    if ms == "-" or cap != "captured":
        bad.append(line.strip())
        continue
    s.setdefault(be, []).append(int(ms))
if bad:
    sys.exit("bench: kdump rounds without a capture or a time: " + "; ".join(bad))
if any(len(s.get(b, [])) < rounds for b in ("none", "c", "rust")):
    sys.exit("bench: kdump: missing rounds")
med = {b: statistics.median(v) for b, v in s.items()}
print(f"\nkdump: panic message to the end of the kmsg dumps, with crash_kexec_post_notifiers=1"
      f"\n(median of {rounds} boots each, the crashed kernel's clock, TCG; the same 400-line log)\n")
print(f"| {'backend':<14} | {'ms':>6} | {'added ms':>8} | {'rounds (ms)':<36} |")
print(f"|{'-'*16}|{'-'*8}|{'-'*10}|{'-'*38}|")
for b, label in (("none", "no backend"), ("c", "C efi_pstore"), ("rust", "lw_efi_pstore")):
    print(f"| {label:<14} | {med[b]:>6.0f} | {med[b] - med['none']:>8.0f} | "
          f"{' '.join(str(x) for x in s[b]):<36} |")
c, r = med["c"] - med["none"], med["rust"] - med["none"]
print(f"\ntime added before the kexec, lw_efi_pstore / C efi_pstore: "
      f"{r / c:.2f}x" if c > 0 else "\n(C efi_pstore added no time)")
print(f"raw samples: {path}")
PY
