#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The runner itself: a failing guest check and an unannounced WARN each turn
# into "not ok"; an announced WARN passes; a console log with one report of
# each kind the scanner knows fails, each report named, no benign line; the
# closing line and exit status say so.
# lw-test: kernel-independent
set -u
. "$(dirname "$0")/../lib.sh"

fx=$lw_repo/selftests/harness/fixtures
out=$LW_TEST_LOG/nested.out
LW_RUN_DIR=$LW_TEST_LOG.nested "$lw_repo/selftests/run.sh" \
	"$fx/fixture_guest_check_fails.sh" "$fx/fixture_unexpected_warn.sh" \
	"$fx/fixture_expected_warn.sh" "$fx/fixture_console_splats.sh" >"$out" 2>&1
rc=$?
sed 's/^/  | /' "$out"
lw_assert_eq "$rc" 1 "nested runner exit status"
lw_assert_grep "$out" '^not ok 1 fixtures/fixture_guest_check_fails ' "failing guest check is not ok"
lw_assert_grep "$out" '^not ok 2 fixtures/fixture_unexpected_warn ' "unannounced WARN is not ok"
lw_assert_grep "$out" '^# splat UNEXPECTED: .*WARNING: .*lw_warn' "the WARN is named"
lw_assert_grep "$out" '^ok 3 fixtures/fixture_expected_warn ' "announced WARN is ok"
lw_assert_grep "$out" '^not ok 4 fixtures/fixture_console_splats ' "a console log with reports is not ok"
n=0 missed=0
while IFS= read -r line; do
	n=$((n + 1))
	grep -qxF "# splat UNEXPECTED: boot/console.log: $line" "$out" ||
		{ echo "not named: $line"; missed=$((missed + 1)); }
done <"$fx/splats.txt"
lw_assert_eq "$missed" 0 "each of the $n reports named"
lw_assert_eq "$(grep -c '^# splat UNEXPECTED: boot/console.log: ' "$out")" "$n" "no benign line named"
lw_assert_grep "$out" '^1 passed, 3 failed, 0 skipped$' "closing line"
