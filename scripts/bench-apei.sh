#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# APEI benchmark, one boot of the lockdep kernel under TCG:
#  - NMI-path enqueue cost (lw_bench's `apei_queue ROUNDS`,
#    samples/lw_bench/apei_queue.rs): claim a slot of the Rust error status
#    queue, copy N bytes, publish (drain outside the timed region), against
#    the C floor (memcpy() into a preallocated node + llist_add(),
#    lw_bench_anchor.c), N = 256, 4096, 65536; ROUNDS x 16 enqueues per
#    sample, 5 samples each, C and Rust interleaved;
#  - storm throughput (lw_apei_test's `storm_bench STORM`, which needs its
#    synthetic firmware): STORM records raised by self-NMIs to processed
#    (parsed, checksum verified), queue drained every 8 records.
# Prints a Markdown table of medians and Rust/C ratios. Benchmarks, not
# tests: no pass/fail threshold.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"
rounds=${ROUNDS:-200}
storm=${STORM:-2000}
log=$LW_LOGS/bench-apei-$(date +%Y%m%d-%H%M%S)

lw_say "bench-apei: booting the lockdep kernel (TCG) with lw_bench and lw_apei_test"
"$here/scripts/vm.sh" --log "$log" --timeout 1800 -- "
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
	insmod ./lw_bench.ko || exit 10
	echo 'apei_queue $rounds' >/sys/kernel/debug/lw_bench/run || exit 11
	rmmod lw_bench
	insmod ./lw_apei_test.ko || exit 13
	for i in 1 2 3; do
		echo 'storm_bench $storm' >/sys/kernel/debug/lw_apei/run || exit 12
	done
	rmmod lw_apei_test
" || { tail -30 "$log/console.log"; lw_die "bench VM failed (logs: $log)"; }

python3 - "$log/dmesg.log" "$rounds" "$storm" <<'PY'
import re, statistics, sys
path, rounds, storm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ops = min(max(rounds, 1), 100000) * 16  # apei_queue clamps ROUNDS to 1..100000
s = {}
for line in open(path, errors="replace"):
    # lw_bench: the nanoseconds of one sample of ROUNDS x 16 enqueues.
    m = re.search(r"lw_bench: sample (enqueue_\d+) (c|rust) (\d+)", line)
    if m:
        s.setdefault(m[1], {}).setdefault(m[2], []).append(int(m[3]) // ops)
    # lw_apei_test: the storm's nanoseconds per record and records per second.
    m = re.search(r"lw_apei_test: bench (\S+) (c|rust) (\d+)", line)
    if m:
        s.setdefault(m[1], {}).setdefault(m[2], []).append(int(m[3]))
print(f"\nlastwords APEI: NMI-path enqueue, median of 5 samples x {rounds} x 16 enqueues, one boot")
print("(lockdep kernel under TCG: absolute times are emulated; compare the ratios)\n")
print(f"| {'case':<58} | {'C ns/op':>8} | {'Rust ns/op':>10} | {'Rust/C':>6} |")
print(f"|{'-'*60}|{'-'*10}|{'-'*12}|{'-'*8}|")
for n in (256, 4096, 65536):
    case = f"enqueue_{n}"
    if len(s.get(case, {}).get("c", [])) < 5 or len(s.get(case, {}).get("rust", [])) < 5:
        sys.exit(f"bench-apei: missing samples for {case}")
    c = statistics.median(s[case]["c"])
    r = statistics.median(s[case]["rust"])
    label = f"claim+copy {n} B+publish vs memcpy+llist_add"
    ratio = f"{r / c:5.2f}x" if c else "  n/a"
    print(f"| {label:<58} | {c:>8} | {r:>10} | {ratio:>6} |")
per = s.get("storm_nmi", {}).get("rust", [])
rate = s.get("storm_nmi_rate", {}).get("rust", [])
if not per or not rate:
    sys.exit("bench-apei: missing storm samples")
print(f"\nstorm throughput, self-NMI -> processed (median of {len(per)} runs x {storm} records of 256 B):")
print(f"{statistics.median(per)} ns/record, {statistics.median(rate)} records/s")
print(f"\nraw samples: {path}")
PY
