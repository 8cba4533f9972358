#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kselftest-style runner: runs each selftests/**/test_*.sh (or the tests named
# on the command line, by path or by name), up to -jN at once (default: the
# number of CPUs, or LW_JOBS), prints KTAP in the tests' order, scans each
# test's guest console logs for unexpected splats, lists the tests' times,
# slowest first, and closes with the line "N passed, N failed, N skipped".
# Exit status 1 if any test failed. LW_KERNEL_TESTS_ONLY=1 leaves out the
# harness's kernel-independent tests (make check, after the first kernel).
# On an arm64 kernel (KERNEL=debian-7.3-arm64) the tests marked
# "# lw-test: arm64" run, and the others are listed as not run.
#
# Usage: run.sh [-jN] [TEST...]
#
# Each test has its own log directory (its VMs' NVRAM files, monitor sockets
# and consoles live there), so tests share nothing and may run side by side.
# Logs: $LW_LOGS/<run>/<test>/ (LW_LOGS defaults to ~/.cache/lastwords/logs);
# LW_RUN_DIR overrides the run's directory.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"
lw_check_guest_visible

jobs=${LW_JOBS:-$(nproc)}
args=()
while [ $# -gt 0 ]; do
	case "$1" in
	-j) jobs=$2; shift 2 ;;
	-j*) jobs=${1#-j}; shift ;;
	*) args+=("$1"); shift ;;
	esac
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || lw_die "run.sh: -j takes a positive number (got '$jobs')"

tests=()
if [ ${#args[@]} -eq 0 ]; then
	# With LW_KERNEL_TESTS_ONLY=1 (make check, for each kernel after the
	# first), tests of the harness alone, marked "# lw-test: kernel-independent",
	# are not run again.
	# On arm64 (KERNEL=debian-7.3-arm64) only the tests marked
	# "# lw-test: arm64": the rest need x86 (NMIs, a CPU stopped in the
	# middle of its dump, what only the kernels built here or the x86-64
	# stock kernel's userspace tests cover) or repeat the harness's own tests.
	once=() notarm=()
	arm64=
	[ "$(lw_kernel_arch)" != arm64 ] || arm64=1
	while IFS= read -r t; do
		if [ "${LW_KERNEL_TESTS_ONLY:-0}" = 1 ] &&
			grep -qx '# lw-test: kernel-independent' "$t"; then
			once+=("$(basename "$(dirname "$t")")/$(basename "$t" .sh)")
			continue
		fi
		if [ -n "$arm64" ] && ! grep -qx '# lw-test: arm64' "$t"; then
			notarm+=("$(basename "$(dirname "$t")")/$(basename "$t" .sh)")
			continue
		fi
		tests+=("$t")
	done < <(find "$here/selftests" -name 'test_*.sh' -not -path '*/fixtures/*' | sort)
	[ ${#once[@]} -eq 0 ] ||
		echo "# not run again (kernel-independent, run with the first kernel): ${once[*]}"
	[ ${#notarm[@]} -eq 0 ] ||
		echo "# not run on arm64 (not marked \"# lw-test: arm64\"): ${notarm[*]}"
else
	for a in "${args[@]}"; do
		if [ -f "$a" ]; then
			tests+=("$(cd "$(dirname "$a")" && pwd)/$(basename "$a")")
		else
			m=$(find "$here/selftests" -name "*.sh" -path "*$a*" -not -path '*/fixtures/*' | sort)
			[ -n "$m" ] || lw_die "no test matches '$a'"
			while IFS= read -r t; do tests+=("$t"); done <<<"$m"
		fi
	done
fi

run_dir=${LW_RUN_DIR:-$LW_LOGS/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$run_dir"

# run_one N TEST TLOG: runs one test and its splat scan; leaves in TLOG the
# KTAP lines to print (ktap), its verdict (pass, fail or skip) and its time.
run_one() {
	local n=$1 t=$2 tlog=$3 name start rc secs scan_rc=0
	name=$(basename "$(dirname "$t")")/$(basename "$t" .sh)
	start=$(date +%s)
	LW_TEST_LOG=$tlog bash "$t" >"$tlog/test.out" 2>&1 </dev/null
	rc=$?
	secs=$(( $(date +%s) - start ))
	{
		sed 's/^/# /' "$tlog/test.out"
		local allow=() consoles=() re
		if [ -f "$tlog/expected_splats" ]; then
			while IFS= read -r re; do allow+=(--allow "$re"); done <"$tlog/expected_splats"
		fi
		if [ -f "$tlog/expected_after_panic" ]; then
			while IFS= read -r re; do allow+=(--allow-after-panic "$re"); done <"$tlog/expected_after_panic"
		fi
		mapfile -t consoles < <(find "$tlog" -name console.log | sort)
		if [ ${#consoles[@]} -gt 0 ]; then
			"$here/scripts/splat-scan" "${allow[@]}" "${consoles[@]}" >"$tlog/splats" || scan_rc=$?
			sed "s|$tlog/||; s/^/# splat /" "$tlog/splats"
		fi
		if [ "$rc" = "$LW_KSFT_SKIP" ] && [ $scan_rc = 0 ]; then
			echo "ok $n $name # SKIP (${secs}s)"
			echo skip >"$tlog/verdict"
		elif [ "$rc" = 0 ] && [ $scan_rc = 0 ]; then
			echo "ok $n $name # ${secs}s"
			echo pass >"$tlog/verdict"
		else
			[ $scan_rc = 0 ] || echo "# unexpected splat in the guest log"
			echo "not ok $n $name # exit $rc, ${secs}s, logs: $tlog"
			echo fail >"$tlog/verdict"
		fi
	} >"$tlog/ktap.tmp"
	echo "$secs $name" >"$tlog/time"
	mv "$tlog/ktap.tmp" "$tlog/ktap"
}

# A killed run takes its tests (and their VMs) with it.
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		[ -n "$p" ] && kill -TERM -- "-$p" 2>/dev/null
	done
}
trap 'cleanup; exit 130' INT TERM HUP

echo "KTAP version 1"
echo "# logs: $run_dir, $jobs at a time"
echo "1..${#tests[@]}"
tlogs=()
for ((i = 0; i < ${#tests[@]}; i++)); do
	t=${tests[i]}
	name=$(basename "$(dirname "$t")")/$(basename "$t" .sh)
	tlog=$run_dir/${name//\//.}
	rm -rf "$tlog"
	mkdir -p "$tlog"
	tlogs+=("$tlog")
done

# Start order: longest first (by each test's time in earlier runs, kept in
# $LW_LOGS/times; a test never timed counts as longest), so that the last
# tests to start are short ones and no CPU idles at the end while one long
# test runs alone. Numbering and printing keep the tests' own order.
times_file=$LW_LOGS/times
order=()
while IFS= read -r i; do order+=("$i"); done < <(
	for ((i = 0; i < ${#tests[@]}; i++)); do
		t=${tests[i]}
		name=$(basename "$(dirname "$t")")/$(basename "$t" .sh)
		s=$(awk -v n="$name" '$2 == n { s = $1 } END { print s + 0 }' "$times_file" 2>/dev/null)
		[ -n "$s" ] && [ "$s" != 0 ] || s=999999
		echo "$s $i"
	done | sort -k1,1nr -k2,2n -s | awk '{ print $2 }')

pass=0 fail=0 skip=0 started=0 printed=0 running=0
# Each test runs in its own process group (set -m), so that a killed run
# can stop it and everything it started.
set -m
while [ $printed -lt ${#tests[@]} ]; do
	while [ $running -lt "$jobs" ] && [ $started -lt ${#tests[@]} ]; do
		k=${order[started]}
		run_one $((k + 1)) "${tests[k]}" "${tlogs[k]}" &
		pids[k]=$!
		started=$((started + 1))
		running=$((running + 1))
	done
	wait -n 2>/dev/null
	running=0
	for ((i = 0; i < started; i++)); do
		[ -f "${tlogs[order[i]]}/ktap" ] || running=$((running + 1))
	done
	# Print, in order, every test that has finished.
	while [ $printed -lt ${#tests[@]} ] && [ -f "${tlogs[printed]}/ktap" ]; do
		cat "${tlogs[printed]}/ktap"
		case $(cat "${tlogs[printed]}/verdict") in
		pass) pass=$((pass + 1)) ;;
		skip) skip=$((skip + 1)) ;;
		*) fail=$((fail + 1)) ;;
		esac
		pids[printed]=
		printed=$((printed + 1))
	done
done
set +m

echo "# Times, slowest first:"
cat "${tlogs[@]/%//time}" 2>/dev/null | sort -rn | awk '{ printf "#   %5ss  %s\n", $1, $2 }'
# Remember this run's times for the next run's start order.
mkdir -p "$(dirname "$times_file")"
{
	cat "${tlogs[@]/%//time}"
	cat "$times_file"
} 2>/dev/null | awk '!seen[$2]++' >"$times_file.$$"
mv "$times_file.$$" "$times_file"
echo "# Totals: pass:$pass fail:$fail skip:$skip"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
