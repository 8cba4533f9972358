#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kselftest-style runner: runs each selftests/**/test_*.sh (or the tests named
# on the command line, by path or by name), prints KTAP, scans each test's
# guest console logs for unexpected splats, and closes with the line
# "N passed, N failed". Exit status 1 if any test failed.
#
# Logs: $LW_LOGS/<run>/<test>/ (LW_LOGS defaults to ~/.cache/lastwords/logs);
# LW_RUN_DIR overrides the run's directory.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"

tests=()
if [ $# -eq 0 ]; then
	while IFS= read -r t; do tests+=("$t"); done < <(
		find "$here/selftests" -name 'test_*.sh' -not -path '*/fixtures/*' | sort)
else
	for a in "$@"; do
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

echo "KTAP version 1"
echo "# logs: $run_dir"
echo "1..${#tests[@]}"
pass=0 fail=0 skip=0 n=0
for t in "${tests[@]}"; do
	n=$((n + 1))
	name=$(basename "$(dirname "$t")")/$(basename "$t" .sh)
	tlog=$run_dir/${name//\//.}
	rm -rf "$tlog"
	mkdir -p "$tlog"
	start=$(date +%s)
	LW_TEST_LOG=$tlog bash "$t" >"$tlog/test.out" 2>&1 </dev/null
	rc=$?
	secs=$(( $(date +%s) - start ))
	sed 's/^/# /' "$tlog/test.out"

	allow=()
	if [ -f "$tlog/expected_splats" ]; then
		while IFS= read -r re; do allow+=(--allow "$re"); done <"$tlog/expected_splats"
	fi
	if [ -f "$tlog/expected_after_panic" ]; then
		while IFS= read -r re; do allow+=(--allow-after-panic "$re"); done <"$tlog/expected_after_panic"
	fi
	mapfile -t consoles < <(find "$tlog" -name console.log | sort)
	scan_rc=0
	if [ ${#consoles[@]} -gt 0 ]; then
		"$here/scripts/splat-scan" "${allow[@]}" "${consoles[@]}" >"$tlog/splats" || scan_rc=$?
		sed "s|$tlog/||; s/^/# splat /" "$tlog/splats"
	fi

	if [ $rc = "$LW_KSFT_SKIP" ] && [ $scan_rc = 0 ]; then
		echo "ok $n $name # SKIP (${secs}s)"
		skip=$((skip + 1))
	elif [ $rc = 0 ] && [ $scan_rc = 0 ]; then
		echo "ok $n $name # ${secs}s"
		pass=$((pass + 1))
	else
		[ $scan_rc = 0 ] || echo "# unexpected splat in the guest log"
		echo "not ok $n $name # exit $rc, ${secs}s, logs: $tlog"
		fail=$((fail + 1))
	fi
done
echo "# Totals: pass:$pass fail:$fail skip:$skip"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
