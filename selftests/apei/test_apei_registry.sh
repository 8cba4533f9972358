#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# lw_apei_test's error-source registry: recovery walkers that sleep at each
# node (sliding reference) run while sources are added and removed (a
# transient parent removed before its child stays as an orphan until the
# child goes, then both are freed outside the lock). Every always-live
# source is visited by every walk; held references keep removed sources as
# orphans, listed in debugfs; after release and removal everything is freed.
# lw-test: arm64
set -u
. "$(dirname "$0")/../lib.sh"

churn=60 perm=6
lw_boot registry --no-uefi -- "
	$LW_GUEST_DEBUGFS
	insmod ./lw_apei_test.ko || exit 10
	d=/sys/kernel/debug/lw_apei
	rm -f \$LW_LOG/churn_done
	( while [ ! -e \$LW_LOG/churn_done ]; do echo 'walk 20' >\$d/run || echo walk_failed=1; done ) &
	w=\$!
	echo 'churn $churn' >\$d/run || exit 11
	touch \$LW_LOG/churn_done
	echo hold >\$d/run || exit 12
	echo hold >\$d/run || exit 13
	wait \$w
	echo 'walk 0' >\$d/run || exit 14
	cp \$d/orphans \$LW_LOG/orphans.txt
	echo held_live=\$(cat \$d/reg_live)
	echo held_orphans=\$(cat \$d/reg_orphans)
	echo orphan_lines=\$(grep -c '^orphan ' \$d/orphans)
	echo release >\$d/run || exit 15
	echo released_orphans=\$(cat \$d/reg_orphans)
	echo clear >\$d/run || exit 16
	$(lw_dump_counters lw_apei)
	rmmod lw_apei_test || exit 17
	echo rmmod=ok
"
rc=$?
out=$LW_TEST_LOG/registry/out.log
cat "$out"
cat "$LW_TEST_LOG/registry/orphans.txt" 2>/dev/null
lw_assert_eq "$rc" 0 "guest sequence"
c() { lw_counter "$out" "$1"; }
lw_assert_eq "$(c walk_failed)" "" "every walk succeeded"
walks=$(c walks)
[ "$walks" -ge 2 ] || lw_fail "walks completed: got '$walks', want at least 2"
echo "ok: walks completed ($walks)"
lw_assert_eq "$(c walk_errors)" 0 "no walk error"
lw_assert_eq "$(c churn_ops)" $churn "add/remove rounds under the walkers"
lw_assert_eq "$(c walk_perm_visits)" $((walks * perm)) "every walk visited every always-live source once"
lw_assert_eq "$(c held_live)" $perm "live sources while references are held"
lw_assert_eq "$(c held_orphans)" 2 "removed but referenced sources are orphans"
lw_assert_eq "$(c orphan_lines)" 2 "the orphans are listed in debugfs"
lw_assert_grep "$LW_TEST_LOG/registry/orphans.txt" '^orphan id=0x[0-9a-f]+ kind=2 depth=1 refs=1 children=0' "orphan line format"
lw_assert_eq "$(c released_orphans)" 0 "releasing the references freed the orphans"
lw_assert_eq "$(c reg_live)" 0 "no live source after clear"
lw_assert_eq "$(c reg_orphans)" 0 "no orphan after clear"
lw_assert_eq "$(c reg_alloc)" $((perm + 2 * churn + 2)) "objects allocated"
lw_assert_eq "$(c reg_freed)" "$(c reg_alloc)" "every object freed"
lw_assert_eq "$(c rmmod)" ok "module unloaded"
echo "walker visits of transient sources (removed under it or not): $(( $(c walk_visits) - $(c walk_perm_visits) ))"
