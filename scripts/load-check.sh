#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The suite on a busy machine: runs a command (default: the VM selftests,
# selftests/run.sh, on KERNEL=) RUNS times in a row while a steady background
# load runs beside it: throwaway VM boots, one after another, pinned to one
# CPU (taskset), each guest spinning until its boot is timed out, as another
# developer's VM or a shared CI runner would. Prints each run's closing line
# and wall time, then a table; exit status 1 if any run failed.
#
# Usage: load-check.sh [-n RUNS] [-c CPU] [-- CMD...]
#   e.g. KERNEL=6.12 scripts/load-check.sh -n 3
#        scripts/load-check.sh -n 1 -- make check
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"

runs=3 cpu=0
while [ $# -gt 0 ]; do
	case "$1" in
	-n) runs=$2; shift 2 ;;
	-c) cpu=$2; shift 2 ;;
	--) shift; break ;;
	*) lw_die "usage: load-check.sh [-n RUNS] [-c CPU] [-- CMD...]" ;;
	esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || lw_die "load-check.sh: -n takes a positive number"
[ $# -gt 0 ] || set -- "$here/selftests/run.sh"

work=$LW_LOGS/load-$(date +%Y%m%d-%H%M%S)
mkdir -p "$work"

# What the VM suite needs built (as make check builds it before): the
# modules for KERNEL= and the lastwords tool. Before the load starts.
if [ "$1" = "$here/selftests/run.sh" ]; then
	lw_say "load-check: building the modules ($LW_KERNEL) and the lastwords tool"
	"$here/scripts/modules.sh" >"$work/build.log" 2>&1 &&
		"$here/scripts/tool.sh" >>"$work/build.log" 2>&1 ||
		{ tail -30 "$work/build.log"; lw_die "load-check: the build failed (log: $work/build.log)"; }
fi

# The load: one VM at a time on CPU $cpu, its guest spinning, each boot cut
# by vm.sh's timeout after 120 s and replaced by the next. It runs in its
# own process group, which is killed at the end.
load() {
	local i=0
	while :; do
		i=$((i + 1))
		taskset -c "$cpu" "$here/scripts/vm.sh" --log "$work/load/boot" --no-uefi \
			--cpus 1 --timeout 120 -- 'while :; do :; done' >/dev/null 2>&1 || true
		echo "$i" >"$work/load/boots"
	done
}
mkdir -p "$work/load"
set -m
load &
load_pid=$!
set +m
stop_load() {
	kill -TERM -- "-$load_pid" 2>/dev/null || true
	wait "$load_pid" 2>/dev/null || true
}
trap stop_load EXIT
lw_say "load-check: background load started (VM boots on CPU $cpu; logs: $work)"

results=()
fail=0
for ((r = 1; r <= runs; r++)); do
	t=$(date +%s)
	lw_say "load-check: run $r of $runs: $*"
	rc=0
	"$@" >"$work/run$r.out" 2>&1 || rc=$?
	secs=$(( $(date +%s) - t ))
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$work/run$r.out" | tail -1)
	grep -E '^not ok ' "$work/run$r.out" | sed 's/^/    /' || true
	[ $rc = 0 ] || fail=1
	results+=("$r|$rc|${line:-no summary line}|$secs")
	lw_say "load-check: run $r: exit $rc, ${line:-no summary line}, ${secs}s"
done
echo
echo "load-check: $runs run(s) of: $* (load: $(cat "$work/load/boots" 2>/dev/null || echo 0) boots finished)"
printf '  %-4s %-5s %-40s %s\n' run exit summary time
for x in "${results[@]}"; do
	IFS='|' read -r r rc line secs <<<"$x"
	printf '  %-4s %-5s %-40s %ss\n' "$r" "$rc" "$line" "$secs"
done
[ $fail = 0 ]
